package loginguard_test

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/yggpost/yggpost/internal/loginguard"
)

var errBadLogin = errors.New("invalid user name or password")

// checkPassword stands for the node's check of a user name and password.
func checkPassword(username, password string) error {
	if username != "me@yggmail" || password != "secret" {
		return errBadLogin
	}
	return nil
}

// A server wraps its password check in Login: in an IMAP session's Login
// method, or in the function given to go-sasl's NewPlainServer for SMTP
// AUTH. The remote address is the connection's RemoteAddr.
func ExampleGuard_Login() {
	guard := loginguard.New(loginguard.Options{})
	remote := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 50123}

	err := guard.Login(context.Background(), remote, func() error {
		return checkPassword("me@yggmail", "secret")
	})
	var refused *loginguard.Refused
	switch {
	case errors.As(err, &refused):
		// A temporary failure that shows err.Error() to the user:
		// IMAP "NO [UNAVAILABLE] …", SMTP "454 4.7.0 …".
	case err != nil:
		// A wrong password: IMAP "NO [AUTHENTICATIONFAILED]", SMTP "535 5.7.8".
	}
	fmt.Println(err)
	// Output: <nil>
}

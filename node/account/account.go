// Package account holds what a mail client needs to set up the user's
// account on a Yggpost node: the address, the password and the IMAP and
// SMTP servers (Settings), the same carried in one Delta Chat dclogin:
// link (Settings.DCLogin), and a strong password for an app that creates
// the account itself (NewPassword).
//
// The package is pure: it reads no store and opens no socket. The node
// keeps only the password's hash, so whoever builds Settings must already
// know the password (the app that made it, or a user who typed it).
package account

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/yggpost/yggpost/envelope"
)

// Security says how a mail client protects its connection to one server.
type Security int

const (
	// Plain is no TLS at all: what the node's loopback listeners speak.
	Plain Security = iota
	// TLS is TLS from the first byte (IMAPS, SMTPS).
	TLS
	// StartTLS is a plain connection upgraded with STARTTLS.
	StartTLS
)

// String returns the security's name as mail clients' settings call it.
func (s Security) String() string {
	switch s {
	case Plain:
		return "plain (no TLS)"
	case TLS:
		return "TLS"
	case StartTLS:
		return "STARTTLS"
	}
	return fmt.Sprintf("Security(%d)", int(s))
}

// Server is one server a mail client connects to.
type Server struct {
	Host     string
	Port     uint16
	Security Security
}

// Settings is one user's account as a mail client needs it: the user
// name is the address, for IMAP and SMTP alike, with the same password.
type Settings struct {
	Address  envelope.Address
	Password string
	IMAP     Server
	SMTP     Server
}

// check reports the first thing missing from s that a client would need.
func (s Settings) check() error {
	switch {
	case s.Address.IsZero():
		return errors.New("account settings: no address")
	case s.Password == "":
		return errors.New("account settings: the password is empty")
	case !utf8.ValidString(s.Password):
		return errors.New("account settings: the password is not valid UTF-8, which Delta Chat cannot take")
	}
	for _, srv := range []struct {
		name string
		Server
	}{{"IMAP", s.IMAP}, {"SMTP", s.SMTP}} {
		if srv.Host == "" || srv.Port == 0 || !utf8.ValidString(srv.Host) {
			return fmt.Errorf("account settings: the %s server needs a host and a port, have %q port %d", srv.name, srv.Host, srv.Port)
		}
		if _, ok := dcSecurity[srv.Security]; !ok {
			return fmt.Errorf("account settings: the %s server has unknown security %v", srv.name, srv.Security)
		}
	}
	return nil
}

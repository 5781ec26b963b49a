package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/mdp/qrterminal/v3"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/account"
)

// maxQRLink bounds the link drawn as a QR code: a version 40 code at
// error correction level M holds 2331 bytes, and the QR library draws
// nothing useful for more.
const maxQRLink = 2000

// printDCLogin asks for the password, checks it against the stored hash
// and prints the settings a mail client on this machine uses, the Delta
// Chat dclogin: link and a QR code of it.
func printDCLogin(n accountSource, cfg node.Config, stdin io.Reader, stdout, stderr io.Writer) int {
	pw, err := askPassword(n, stdin, stderr)
	if err != nil {
		return usageError(stderr, "-dclogin", err)
	}
	settings, err := accountSettings(n, cfg, pw)
	if err != nil {
		return usageError(stderr, "-dclogin", err)
	}
	text, err := accountText(settings, account.TableOptions{})
	if err != nil {
		return usageError(stderr, "-dclogin", err)
	}
	fmt.Fprint(stdout, text)
	return exitOK
}

// usageError prints err as the reason the command given by flag was
// refused, and returns the exit code for it.
func usageError(stderr io.Writer, flag string, err error) int {
	fmt.Fprintf(stderr, "yggpost: %s: %v\n", flag, err)
	return exitUsage
}

// askPassword reads the password and checks it against the stored hash.
// The node keeps only the hash, so the user must type the password for
// it to go into a link.
func askPassword(n accountSource, stdin io.Reader, stderr io.Writer) (string, error) {
	pw, err := readPassword(stdin, stderr, "Password: ")
	if err != nil {
		return "", err
	}
	if err := n.CheckPassword(pw); err != nil {
		return "", passwordRefusal(err)
	}
	return pw, nil
}

// passwordRefusal says in words why a password was not taken.
func passwordRefusal(err error) error {
	switch {
	case errors.Is(err, node.ErrBadLogin):
		return errors.New("wrong password: type the password set with yggpost -password")
	case errors.Is(err, node.ErrNoPassword):
		return err
	}
	return fmt.Errorf("check password: %w", err)
}

// accountText is s as a settings table, then its Delta Chat dclogin:
// link and a QR code of it: one text, built whole before any of it is
// printed, so that settings a link cannot carry print nothing.
func accountText(s account.Settings, table account.TableOptions) (string, error) {
	rows, err := s.Table(table)
	if err != nil {
		return "", err
	}
	link, err := s.DCLogin()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(rows)
	fmt.Fprintf(&b, "\nDelta Chat: scan this code, or open or paste the link (it holds the password):\n\n%s\n\n", link)
	if len(link) > maxQRLink {
		b.WriteString("(the link is too long for a QR code: use a shorter password)\n")
		return b.String(), nil
	}
	qrterminal.GenerateHalfBlock(link, qrterminal.M, &b)
	return b.String(), nil
}

// accountSettings are the settings a mail client on this machine uses to
// reach n's IMAP and SMTP listeners as cfg names them.
func accountSettings(n accountSource, cfg node.Config, password string) (account.Settings, error) {
	imap, err := loopbackServer("-imap", cfg.IMAPAddr)
	if err != nil {
		return account.Settings{}, err
	}
	smtp, err := loopbackServer("-smtp", cfg.SMTPAddr)
	if err != nil {
		return account.Settings{}, err
	}
	return account.Settings{Address: n.Address(), Password: password, IMAP: imap, SMTP: smtp}, nil
}

// loopbackServer turns a listen address into the server a client on this
// machine connects to. A listener on "localhost" listens on 127.0.0.1 only
// (net.Listen takes the first IPv4 address), and one on all interfaces
// (no host, 0.0.0.0 or ::) is reached there too; so both are given to the
// client as 127.0.0.1, which a client that tries ::1 first for localhost
// still reaches. The loopback listeners speak no TLS.
func loopbackServer(flag, addr string) (account.Server, error) {
	port, err := listenPort(flag, addr)
	if err != nil {
		return account.Server{}, err
	}
	host, _, _ := net.SplitHostPort(addr) // listenPort has split it
	if ip := net.ParseIP(host); host == "" || host == "localhost" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return account.Server{Host: host, Port: port, Security: account.Plain}, nil
}

// listenPort is the port of a listen address given with flag, which a
// client needs fixed: not 0, which picks a free port at each start.
func listenPort(flag, addr string) (uint16, error) {
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("%s %q: want host:port: %w", flag, addr, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return 0, fmt.Errorf("%s %q: a client needs a fixed port from 1 to 65535", flag, addr)
	}
	return uint16(port), nil
}

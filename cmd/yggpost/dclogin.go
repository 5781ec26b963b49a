package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/mdp/qrterminal/v3"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/account"
)

// maxQRLink bounds the link drawn as a QR code: a version 40 code at
// error correction level M holds 2331 bytes, and the QR library draws
// nothing useful for more.
const maxQRLink = 2000

// printDCLogin asks for the password, checks it against the stored hash
// and prints the account settings, the Delta Chat dclogin: link and a QR
// code of it. The node keeps only the hash, so the user must type the
// password for it to go into the link.
func printDCLogin(n *node.Node, cfg node.Config, stdin io.Reader, stdout, stderr io.Writer) int {
	pw, err := readPassword(stdin, stderr, "Password: ")
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: -dclogin: %v\n", err)
		return exitUsage
	}
	if err := n.CheckPassword(pw); err != nil {
		fmt.Fprintf(stderr, "yggpost: -dclogin: %v\n", dcloginRefusal(err))
		return exitUsage
	}
	settings, err := accountSettings(n, cfg, pw)
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: -dclogin: %v\n", err)
		return exitUsage
	}
	link, err := settings.DCLogin()
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: -dclogin: %v\n", err)
		return exitUsage
	}
	writeSettings(stdout, settings)
	fmt.Fprintf(stdout, "\nDelta Chat: scan this code, or open or paste the link (it holds the password):\n\n%s\n\n", link)
	if len(link) > maxQRLink {
		fmt.Fprintln(stdout, "(the link is too long for a QR code: use a shorter password)")
		return exitOK
	}
	qrterminal.GenerateHalfBlock(link, qrterminal.M, stdout)
	return exitOK
}

// dcloginRefusal says in words why a password was not taken.
func dcloginRefusal(err error) error {
	switch {
	case errors.Is(err, node.ErrBadLogin):
		return errors.New("wrong password: type the password set with yggpost -password")
	case errors.Is(err, node.ErrNoPassword):
		return err
	}
	return fmt.Errorf("check password: %w", err)
}

// accountSettings are the settings a mail client on this machine uses to
// reach n's IMAP and SMTP listeners as cfg names them.
func accountSettings(n *node.Node, cfg node.Config, password string) (account.Settings, error) {
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
// still reaches. The listeners speak no TLS yet.
func loopbackServer(flag, addr string) (account.Server, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return account.Server{}, fmt.Errorf("%s %q: want host:port: %w", flag, addr, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return account.Server{}, fmt.Errorf("%s %q: a client needs a fixed port from 1 to 65535", flag, addr)
	}
	if ip := net.ParseIP(host); host == "" || host == "localhost" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return account.Server{Host: host, Port: uint16(port), Security: account.Plain}, nil
}

// writeSettings prints s as a table a user can copy into any mail client.
func writeSettings(w io.Writer, s account.Settings) {
	fmt.Fprintf(w, "Address and user name  %s\n", s.Address)
	fmt.Fprintf(w, "Password               the one you just typed\n")
	fmt.Fprintf(w, "IMAP server            %s port %d, security %s\n", s.IMAP.Host, s.IMAP.Port, s.IMAP.Security)
	fmt.Fprintf(w, "SMTP server            %s port %d, security %s\n", s.SMTP.Host, s.SMTP.Port, s.SMTP.Security)
}

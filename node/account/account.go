// Package account holds what a mail client needs to set up the user's
// account on a Yggpost node: the address, the password and the IMAP and
// SMTP servers (Settings), and the same written in each form a device
// takes it in: a table a person types from (Settings.Table), a Delta Chat
// dclogin: link (Settings.DCLogin), an Apple configuration profile
// (Settings.MobileConfig) and a Thunderbird autoconfig file
// (Settings.Autoconfig). NewPassword makes a strong password for an app
// that creates the account itself.
//
// The package is pure: it reads no store and opens no socket. The node
// keeps only the password's hash, so whoever builds Settings must already
// know the password (the app that made it, or a user who typed it). The
// forms that can leave the password out (the table, the profile, the
// autoconfig file) do not need it unless asked to carry it.
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

// CertificateChecks says how strictly a client checks the certificate of
// a server it reaches over TLS.
type CertificateChecks int

const (
	// ChecksDefault leaves the checks to the client's own default, which
	// in current clients is strict checks against the device's roots.
	ChecksDefault CertificateChecks = iota
	// ChecksStrict asks for strict checks: a certificate the device
	// trusts, valid for the host name.
	ChecksStrict
	// ChecksAcceptInvalid asks the client to take any certificate,
	// self-signed or not valid for the host: what a node's own
	// self-signed certificate needs in a client that cannot pin it. The
	// user compares the fingerprint instead (TableOptions.CertificateSHA256).
	ChecksAcceptInvalid
)

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
	// CertificateChecks is carried by the forms that can say it (the
	// dclogin: link); the zero value adds nothing to them.
	CertificateChecks CertificateChecks
}

// check reports the first thing missing from s that a client would need,
// the password included.
func (s Settings) check() error {
	if err := s.checkServers(); err != nil {
		return err
	}
	switch {
	case s.Password == "":
		return errors.New("account settings: the password is empty")
	case !utf8.ValidString(s.Password):
		return errors.New("account settings: the password is not valid UTF-8, which Delta Chat cannot take")
	}
	return nil
}

// checkWith is check when the password goes into the form being written,
// checkServers when it does not.
func (s Settings) checkWith(password bool) error {
	if password {
		return s.check()
	}
	return s.checkServers()
}

// checkServers is check without the password, for the forms that leave
// it out and let the client ask for it.
func (s Settings) checkServers() error {
	if s.Address.IsZero() {
		return errors.New("account settings: no address")
	}
	if s.CertificateChecks < ChecksDefault || s.CertificateChecks > ChecksAcceptInvalid {
		return fmt.Errorf("account settings: unknown certificate checks %d", int(s.CertificateChecks))
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

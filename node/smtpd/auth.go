package smtpd

import (
	"errors"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/internal/loginguard"
)

// AuthMechanisms lists the SASL mechanisms offered in EHLO (RFC 4954 §3).
// Both send the password as it is, so they are offered only where
// Options.Policy allows a password: over TLS, on loopback, or anywhere
// with AllowPlain. Elsewhere the list is empty and go-smtp leaves the
// AUTH line out of EHLO.
func (ss *session) AuthMechanisms() []string {
	if !ss.passwordOK {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// Auth starts one AUTH exchange (RFC 4954 §4), or refuses it where
// Options.Policy allows no password yet (RFC 3207 §4).
func (ss *session) Auth(mech string) (sasl.Server, error) {
	if !ss.passwordOK {
		return nil, ss.refusePassword()
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return reply(535, 5, 7, 8, "authorization identity must be empty or equal the user name")
			}
			return ss.authenticate(username, password)
		}), nil
	case sasl.Login:
		return &loginServer{authenticate: ss.authenticate}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

var (
	// replyStartTLSFirst refuses AUTH before STARTTLS (RFC 3207 §4).
	replyStartTLSFirst = reply(530, 5, 7, 0, "Must issue a STARTTLS command first")
	// replyNoTLS is the same refusal where STARTTLS would not help.
	replyNoTLS = reply(530, 5, 7, 0, "passwords are accepted only from this machine: this node has no TLS configured")
)

// refusePassword answers an AUTH that Options.Policy does not allow here,
// and warns once per connection: a password may just have crossed the
// network in the clear (an initial response carries it).
func (ss *session) refusePassword() error {
	if !ss.warned {
		ss.warned = true
		ss.log.Warn("smtp AUTH refused without TLS from a client on another machine")
	}
	if ss.s.tls == nil {
		return replyNoTLS
	}
	return replyStartTLSFirst
}

// authenticate checks the credentials with the node; any failure is the
// same 535 5.7.8 to the client, the reason goes to the log.
func (ss *session) authenticate(username, password string) error {
	check := func() error { return ss.s.opts.Authenticate(username, password) }
	var err error
	if g := ss.s.opts.Guard; g != nil {
		err = g.Login(ss.s.ctx, ss.remote, check)
	} else {
		err = check()
	}
	if refused, ok := errors.AsType[*loginguard.Refused](err); ok {
		return reply(454, 4, 7, 0, "%s", refused.Error())
	}
	if err != nil {
		ss.log.Warn("smtp authentication failed", "user", username, "err", err)
		return smtp.ErrAuthFailed
	}
	ss.authed = true
	return nil
}

// loginServer is the server side of the LOGIN mechanism: it asks for the
// user name, then for the password, each as a base64 challenge.
// (draft-murchison-sasl-login; go-sasl has only the client side.)
type loginServer struct {
	authenticate func(username, password string) error
	step         int
	username     string
}

var errLoginDone = errors.New("sasl LOGIN: unexpected client response after authentication")

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step = 1
		if response == nil {
			return []byte("Username:"), false, nil
		}
		// An initial response (AUTH LOGIN <base64 user>) carries the user name.
		l.username = string(response)
		l.step = 2
		return []byte("Password:"), false, nil
	case 1:
		l.username = string(response)
		l.step = 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.authenticate(l.username, string(response))
	}
	return nil, true, errLoginDone
}

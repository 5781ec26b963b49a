package smtpd

import (
	"fmt"
	"log/slog"
	"net"

	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
)

// session is the state of one client connection: whether it has
// authenticated, and the transaction being built (RFC 5321 §3.3).
type session struct {
	s      *Server
	conn   *timeoutConn // nil if the connection was not accepted by a limitListener
	remote net.Addr
	log    *slog.Logger

	// passwordOK: the client may authenticate on this connection
	// (Options.Policy). go-smtp makes a new session after STARTTLS.
	passwordOK bool
	warned     bool // a refused AUTH was logged

	authed  bool
	mailSet bool
	rcpts   []envelope.Address
	seen    map[envelope.Address]bool
}

// newSession starts the session of a connection at its first EHLO or
// HELO, and again at the first one after STARTTLS.
func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	tc, secure := layers(c.Conn())
	remote := c.Conn().RemoteAddr()
	log := s.log.With("remote", remote.String())
	if secure != nil {
		if tc != nil {
			tc.tlsDone(secure)
		}
		logTLS(log, secure.ConnectionState())
	}
	ok := s.opts.Policy.PasswordAllowed(remote, secure != nil)
	return &session{s: s, conn: tc, remote: remote, log: log, passwordOK: ok}, nil
}

// Mail starts a transaction; RFC 5321 §4.1.1.2. Only the local user may
// send, and only once authenticated (RFC 4954 §4).
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return replyAuthRequired
	}
	if from == "" {
		return reply(550, 5, 7, 1, "the null sender is not accepted here; send as <%s>", ss.s.opts.Local)
	}
	addr, err := envelope.ParseAddress(from)
	if err != nil || addr != ss.s.opts.Local {
		return reply(550, 5, 7, 1, "only <%s> may send through this node, not <%s>", ss.s.opts.Local, from)
	}
	ss.resetTransaction()
	ss.mailSet = true
	return nil
}

// Rcpt adds a recipient; RFC 5321 §4.1.1.3. go-smtp enforces the count.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.mailSet {
		return reply(503, 5, 5, 1, "MAIL FROM first")
	}
	addr, err := envelope.ParseAddress(to)
	if err != nil {
		return reply(550, 5, 1, 1, "<%s> cannot be reached: only <key>@yggmail addresses can be reached, with key 64 hex digits", to)
	}
	if err := addr.CheckKey(); err != nil {
		return reply(550, 5, 1, 1, "<%s> cannot be reached: its 64 hex digits are not an ed25519 public key (mistyped?)", to)
	}
	if ss.seen[addr] {
		return nil
	}
	if len(ss.rcpts) >= ss.s.opts.MaxRecipients {
		return reply(452, 4, 5, 3, "too many recipients (at most %d per message)", ss.s.opts.MaxRecipients)
	}
	if ss.seen == nil {
		ss.seen = make(map[envelope.Address]bool)
	}
	ss.seen[addr] = true
	ss.rcpts = append(ss.rcpts, addr)
	return nil
}

// Reset drops the transaction (RSET, a new EHLO, or after a message).
func (ss *session) Reset() { ss.resetTransaction() }

func (ss *session) resetTransaction() {
	ss.mailSet = false
	ss.rcpts = nil
	ss.seen = nil
}

// Logout is called once when the connection ends.
func (ss *session) Logout() error {
	ss.resetTransaction()
	return nil
}

// reply builds the SMTP error a client sees.
func reply(code, c1, c2, c3 int, format string, args ...any) *smtp.SMTPError {
	return &smtp.SMTPError{
		Code:         code,
		EnhancedCode: smtp.EnhancedCode{c1, c2, c3},
		Message:      fmt.Sprintf(format, args...),
	}
}

var replyAuthRequired = reply(530, 5, 7, 0, "authentication required: use AUTH PLAIN or AUTH LOGIN first")

package imapd

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/internal/loginguard"
)

// session is one IMAP connection. imapserver calls its methods one at a
// time from the connection's goroutine, except Idle, which runs on its own
// goroutine while the connection waits for DONE; so the fields need no lock.
type session struct {
	srv  *Server
	conn *imapserver.Conn
	log  *slog.Logger

	user string
	sel  *selected // nil unless a mailbox is selected
	// answerFirst is set by a command that changed the store: should its
	// selected mailbox turn out renamed or deleted when the command ends,
	// Poll lets its tagged response go out, so the client knows the change
	// was made, and the BYE waits for the next command.
	answerFirst bool
	byeSent     atomic.Bool // bye has ended the connection (set by Idle's goroutine too)

	idleMu   sync.Mutex
	closing  bool          // Close has begun; no new Idle may start
	idleDone chan struct{} // closed when the latest Idle returns
}

var (
	_ imapserver.SessionIMAP4rev2   = (*session)(nil)
	_ imapserver.SessionAppendLimit = (*session)(nil)
)

// Close ends the session: it leaves the selected mailbox and releases the
// server's hold on the session.
func (s *session) Close() error {
	// imapserver may call Close while an Idle goroutine is still winding
	// down after the connection broke; wait for it before leaving.
	s.idleMu.Lock()
	s.closing = true
	idleDone := s.idleDone
	s.idleMu.Unlock()
	if idleDone != nil {
		<-idleDone
	}
	s.leave()
	s.srv.sessions.Done()
	s.log.Debug("imap session ended")
	return nil
}

// Login checks the credentials with Options.Authenticate (RFC 9051 6.2.3).
// The reason of a failure is logged, never told to the client.
func (s *session) Login(username, password string) error {
	ext, _ := s.conn.NetConn().(*extConn)
	if ext != nil && !ext.passwordAllowed() {
		s.log.Warn("imap login without TLS refused", "user", username)
		return errPrivacyRequired
	}
	if s.srv.auth == nil {
		s.log.Warn("imap login refused: no authenticator configured")
		return imapserver.ErrAuthFailed
	}
	check := func() error { return s.srv.auth(username, password) }
	var err error
	if s.srv.guard != nil {
		err = s.srv.guard.Login(s.srv.ctx, s.conn.NetConn().RemoteAddr(), check)
	} else {
		err = check()
	}
	if refused, ok := errors.AsType[*loginguard.Refused](err); ok {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable, Text: refused.Error()}
	}
	if err != nil {
		s.log.Info("imap login failed", "user", username, "err", err)
		return imapserver.ErrAuthFailed
	}
	if ext != nil {
		ext.authed.Store(true)
	}
	s.user = username
	s.log = s.log.With("user", username)
	s.log.Debug("imap login")
	return nil
}

// AppendLimit is advertised as APPENDLIMIT and enforced by imapserver
// before any literal byte is read.
func (s *session) AppendLimit() uint32 { return s.srv.limit }

// Namespace reports one personal namespace with "/" as hierarchy separator
// (RFC 2342).
func (s *session) Namespace() (*imap.NamespaceData, error) {
	return &imap.NamespaceData{
		Personal: []imap.NamespaceDescriptor{{Prefix: "", Delim: delim}},
	}, nil
}

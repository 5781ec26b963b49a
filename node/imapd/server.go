package imapd

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/internal/clientsec"
	"github.com/yggpost/yggpost/internal/loginguard"
	"github.com/yggpost/yggpost/mailbox"
)

// DefaultMaxAppendSize bounds an APPEND when Options.MaxAppendSize is zero.
const DefaultMaxAppendSize = 64 << 20

// Options configure a Server.
type Options struct {
	// Store is the user's mailbox store. Required.
	Store *mailbox.Store
	// Authenticate checks a LOGIN; nil rejects every login.
	Authenticate func(username, password string) error
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// MaxAppendSize bounds one APPEND literal (advertised as APPENDLIMIT);
	// 0 means DefaultMaxAppendSize. At most 4 GiB - 1.
	MaxAppendSize int64
	// TLSConfig, when set, is offered with STARTTLS on Serve's listeners
	// and used from the first byte on ServeTLS's. Its GetCertificate may
	// change the certificate at any time (a renewal).
	TLSConfig *tls.Config
	// Policy says who may log in without TLS: clients on loopback, and
	// everyone only if Policy.AllowPlain. Others see LOGINDISABLED until
	// STARTTLS, and a login is refused with [PRIVACYREQUIRED].
	Policy clientsec.Policy
	// Guard, when set, slows down and then refuses password guessing per
	// client address (shared with the SMTP server); nil checks every
	// login at once.
	Guard *loginguard.Guard
}

// Server is an IMAP server over one mailbox store.
type Server struct {
	sec   connSecurity
	guard *loginguard.Guard
	ctx   context.Context // cancelled by Close: ends logins waiting out a delay
	stop  context.CancelFunc
	store *mailbox.Store
	auth  func(username, password string) error
	log   *slog.Logger
	limit uint32
	imap  *imapserver.Server

	mu       sync.Mutex
	hubs     map[string]*hub
	sessions sync.WaitGroup
	closed   bool
	nextID   atomic.Uint64
}

// New returns a server; call Serve to accept connections.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	limit := opts.MaxAppendSize
	if limit <= 0 {
		limit = DefaultMaxAppendSize
	}
	if limit > 1<<32-1 {
		limit = 1<<32 - 1
	}
	s := &Server{
		sec:   connSecurity{tls: opts.TLSConfig, policy: opts.Policy},
		guard: opts.Guard,
		store: opts.Store,
		auth:  opts.Authenticate,
		log:   log,
		limit: uint32(limit),
		hubs:  make(map[string]*hub),
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.imap = imapserver.New(&imapserver.Options{
		NewSession: s.newSession,
		Caps:       capabilities(),
		Logger:     printfLogger{log},
		// extConn runs TLS and says when a password may be sent
		// (LOGINDISABLED); the session refuses a login that may not.
		InsecureAuth: true,
	})
	return s
}

// capabilities lists what the server advertises beyond IMAP4rev1. IDLE,
// UNSELECT, ENABLE and UTF8=ACCEPT are added by imapserver itself,
// APPENDLIMIT comes from session.AppendLimit, and ID is added (and
// answered) by extConn, as imapserver does not know it. The LOGIN OK response carries
// the list as a CAPABILITY response code (imapserver does this), which
// clients such as Delta Chat rely on.
func capabilities() imap.CapSet {
	return imap.CapSet{
		imap.CapIMAP4rev1:        {},
		imap.CapNamespace:        {},
		imap.CapUIDPlus:          {},
		imap.CapMove:             {},
		imap.CapSpecialUse:       {},
		imap.CapCreateSpecialUse: {},
		imap.CapESearch:          {},
		imap.CapChildren:         {},
		imap.CapLiteralPlus:      {},
		imap.CapStatusSize:       {},
		imap.CapBinary:           {},
		imap.CapListExtended:     {},
		imap.CapListStatus:       {},
		imap.CapCondStore:        {},
		imap.CapQResync:          {},
		imap.CapSort:             {},
		"THREAD=ORDEREDSUBJECT":  {},
		"THREAD=REFERENCES":      {},
	}
}

// Serve accepts IMAP connections on l until Close, offering STARTTLS when
// Options.TLSConfig is set. It returns nil after Close and an error if
// accepting fails otherwise.
func (s *Server) Serve(l net.Listener) error {
	return s.serve(l, false)
}

// ServeTLS is Serve for a listener whose connections run TLS from the
// first byte (IMAPS, port 993 by convention, RFC 8314). It needs
// Options.TLSConfig.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.sec.tls == nil {
		return fmt.Errorf("serve imaps on %s: no TLS certificate configured", l.Addr())
	}
	return s.serve(l, true)
}

func (s *Server) serve(l net.Listener, implicitTLS bool) error {
	if err := s.imap.Serve(extListener{Listener: l, log: s.log, sec: s.sec, implicit: implicitTLS}); err != nil {
		return fmt.Errorf("serve imap on %s: %w", l.Addr(), err)
	}
	return nil
}

// Close closes the listeners and every connection, and returns once all
// sessions and their mailbox watchers have ended.
func (s *Server) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return nil
	}
	s.stop()
	err := s.imap.Close()
	s.sessions.Wait()
	if err != nil {
		return fmt.Errorf("close imap server: %w", err)
	}
	return nil
}

// Shutdown is Close bounded by ctx: it returns ctx.Err() if the sessions
// have not ended in time (they keep ending in the background).
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) newSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.sessions.Add(1)
	}
	s.mu.Unlock()
	if closed {
		return nil, nil, &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Server shutting down"}
	}
	id := s.nextID.Add(1)
	remote := c.NetConn().RemoteAddr()
	log := s.log.With("session", id, "remote", remote.String())
	log.Debug("imap session started")
	return &session{srv: s, conn: c, log: log}, nil, nil
}

// printfLogger adapts slog to the Printf logger imapserver wants.
type printfLogger struct{ log *slog.Logger }

func (l printfLogger) Printf(format string, args ...any) {
	l.log.Warn("imapserver: " + fmt.Sprintf(format, args...))
}

package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/clientsec"
	"github.com/yggpost/yggpost/internal/loginguard"
	"github.com/yggpost/yggpost/node/mailheader"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxMessageSize = 64 << 20
	DefaultMaxRecipients  = 100
	DefaultMaxConnections = 32
	DefaultReadTimeout    = 5 * time.Minute
	DefaultWriteTimeout   = time.Minute
	// DefaultMaxHeaderSize bounds the header block read before the From:
	// check; the body after it is streamed, never held in memory.
	DefaultMaxHeaderSize = mailheader.DefaultMax
	// maxLineLength bounds one command line and one line of a DATA body.
	// RFC 5321 §4.5.3.1.6 allows 1000; clients sending 8-bit bodies are
	// sometimes sloppier, so we take more.
	maxLineLength = 16 << 10
)

// Submitter is where accepted messages go: the node's outbox.
type Submitter interface {
	// Submit takes one message from the local user to the recipients
	// (deduplicated, may include the user's own address) and returns nil
	// only once it is durably queued or stored. msg yields the message
	// as received (after DATA dot-unstuffing or BDAT), with a Message-ID
	// field added if it had none, and its Bcc fields intact; a read error
	// from it means the transfer failed and Submit must not keep anything.
	// An error wrapping mailbox.ErrOutboxFull is answered 452 4.3.1 (try
	// later), one wrapping mailbox.ErrTooLarge 552 5.3.4; any other error
	// becomes 451 4.3.0 with the error text.
	Submit(ctx context.Context, from envelope.Address, to []envelope.Address, msg io.Reader) error
}

// SubmitterFunc adapts a function to the Submitter interface.
type SubmitterFunc func(ctx context.Context, from envelope.Address, to []envelope.Address, msg io.Reader) error

// Submit calls f.
func (f SubmitterFunc) Submit(ctx context.Context, from envelope.Address, to []envelope.Address, msg io.Reader) error {
	return f(ctx, from, to, msg)
}

// Options configure a Server. Local, Authenticate and Submitter are
// required; zero values of the others take the defaults above.
type Options struct {
	Local          envelope.Address                      // the user's own address
	Authenticate   func(username, password string) error // nil error: credentials are good
	Submitter      Submitter
	Hostname       string // greeting and EHLO name; default "localhost"
	MaxMessageSize int64  // advertised as SIZE
	MaxRecipients  int    // per message
	MaxHeaderSize  int    // bytes of header block checked before the body
	MaxConnections int    // concurrent client connections
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	Logger         *slog.Logger // nil discards

	// TLSConfig, when set, is offered with STARTTLS (RFC 3207) on Serve's
	// listeners and used from the first byte on ServeTLS's (RFC 8314).
	// New keeps a copy; its GetCertificate may change the certificate at
	// any time (a renewal). nil: no TLS, and STARTTLS is not offered.
	TLSConfig *tls.Config
	// Policy says who may send a password without TLS: clients on
	// loopback, and everyone only if Policy.AllowPlain. Others are
	// offered no AUTH until STARTTLS, and AUTH is answered 530 5.7.0.
	Policy clientsec.Policy
	// Guard, when set, slows down and then refuses password guessing per
	// client address (shared with the IMAP server); nil checks every AUTH
	// at once.
	Guard *loginguard.Guard
}

// Server is an SMTP submission server for the local user.
type Server struct {
	opts  Options
	log   *slog.Logger
	tls   *tls.Config // opts.TLSConfig as go-smtp and ServeTLS use it (tls.go); nil without TLS
	smtp  *smtp.Server
	conns *connSet

	ctx    context.Context // cancelled by Close; parent of every Submit
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool           // Close has run: Serve takes no new listener
	listeners []net.Listener // every listener Serve was given
}

// New returns a Server ready to Serve. It does not listen by itself.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{opts: opts, log: opts.Logger, tls: tlsConfig(opts.TLSConfig), conns: newConnSet()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.smtp = newSMTPServer(s)
	return s
}

func (o Options) withDefaults() Options {
	if o.Hostname == "" {
		o.Hostname = "localhost"
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = DefaultMaxRecipients
	}
	if o.MaxHeaderSize <= 0 {
		o.MaxHeaderSize = DefaultMaxHeaderSize
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func newSMTPServer(s *Server) *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = s.opts.Hostname
	srv.MaxMessageBytes = s.opts.MaxMessageSize
	srv.MaxRecipients = s.opts.MaxRecipients
	srv.MaxLineLength = maxLineLength
	srv.TLSConfig = s.tls // nil: STARTTLS is neither offered nor done
	// Whether a password may be sent is decided per connection by
	// Options.Policy (session.passwordOK), not by go-smtp, which would
	// allow it only over TLS and refuse loopback clients without it.
	srv.AllowInsecureAuth = true
	srv.EnableSMTPUTF8 = true
	srv.EnableBINARYMIME = true
	// Timeouts are applied per read and write by timeoutConn instead of
	// per command, so that a long upload is not cut off halfway.
	srv.ReadTimeout, srv.WriteTimeout = 0, 0
	srv.ErrorLog = errorLog{s.log}
	return srv
}

// Serve accepts connections on l until Close or Shutdown, and returns nil
// then; with Options.TLSConfig its clients may switch to TLS with
// STARTTLS. Any other accept error is returned wrapped. Given a listener
// after Close (also when Close races with the start of Serve), it closes
// it and returns smtp.ErrServerClosed at once. Serve and ServeTLS may run
// on several listeners; MaxConnections counts the connections of all.
func (s *Server) Serve(l net.Listener) error {
	return s.serve(l, false)
}

// ServeTLS is Serve for a listener whose connections run TLS from the
// first byte (the submissions port, 465 by convention; RFC 8314 §3.3).
// It needs Options.TLSConfig.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.opts.TLSConfig == nil {
		return fmt.Errorf("serve smtp submissions on %s: no TLS configured (Options.TLSConfig is nil)", l.Addr())
	}
	return s.serve(l, true)
}

func (s *Server) serve(l net.Listener, implicitTLS bool) error {
	if s.opts.Submitter == nil || s.opts.Authenticate == nil {
		return errors.New("smtpd: Options.Submitter and Options.Authenticate are required")
	}
	if err := checkTLSConfig(s.opts.TLSConfig); err != nil {
		return fmt.Errorf("serve smtp on %s: %w", l.Addr(), err)
	}
	if !s.track(l) {
		return smtp.ErrServerClosed
	}
	ll := newLimitListener(l, s, implicitTLS)
	s.log.Debug("smtp submission listening", "addr", l.Addr().String(), "local", s.opts.Local.String(),
		"starttls", s.tls != nil && !implicitTLS, "implicit_tls", implicitTLS)
	if err := s.smtp.Serve(ll); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("serve smtp on %s: %w", l.Addr(), err)
	}
	return nil
}

// track records l as one of the server's listeners, so that Close closes
// it even if Close comes before the SMTP library has taken it. After Close
// it closes l and reports false.
func (s *Server) track(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		l.Close()
		return false
	}
	s.listeners = append(s.listeners, l)
	return true
}

// closeListeners closes every listener Serve was given and refuses new
// ones.
func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, l := range s.listeners {
		l.Close()
	}
}

// Close stops listening and drops every connection at once. A message
// whose Submit has not returned is not acknowledged to its client.
func (s *Server) Close() error {
	s.cancel()
	s.conns.shutdown(true)
	err := s.smtp.Close()
	s.closeListeners() // after the SMTP library knows it is closed
	if err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("close smtp server: %w", err)
	}
	return nil
}

// Shutdown stops listening, closes idle connections and waits for
// messages in transfer to finish, until ctx is done; then it closes what
// is left as Close does and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.conns.shutdown(false)
	err := s.smtp.Shutdown(ctx)
	if err == nil || errors.Is(err, smtp.ErrServerClosed) {
		s.cancel()
		return nil
	}
	if cerr := s.Close(); cerr != nil {
		s.log.Warn("close smtp server after shutdown timeout", "err", cerr)
	}
	return fmt.Errorf("shutdown smtp server: %w", err)
}

// errorLog routes go-smtp's internal error messages to slog.
//
// go-smtp recovers a panic in a connection's handler, answers 421 and
// reports it with the whole stack. A client can cause one from anywhere
// (commands sent in the same burst after go-smtp closed the connection for
// too many errors run without a session), so the report is one Warn line
// with the address and the stack goes to Debug: a client on the network
// cannot flood the log with stacks.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Printf(format string, v ...any) {
	if strings.HasPrefix(format, "panic serving %v: %v\n%s") && len(v) == 3 {
		e.log.Warn("smtp connection ended by an internal error", "remote", fmt.Sprint(v[0]), "err", fmt.Sprint(v[1]))
		e.log.Debug("smtp internal error stack", "remote", fmt.Sprint(v[0]), "stack", fmt.Sprintf("%s", v[2]))
		return
	}
	e.log.Warn(fmt.Sprintf(format, v...))
}
func (e errorLog) Println(v ...any) { e.log.Warn(fmt.Sprint(v...)) }

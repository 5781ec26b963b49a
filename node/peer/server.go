package peer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/yggpost/yggpost/envelope"
)

// DefaultMaxSize is the envelope size limit when Server.MaxSize is zero.
const DefaultMaxSize = 64 << 20

// maxErrors is how many refused commands a session tolerates before the
// server closes it with 421.
const maxErrors = 20

// Receiver stores envelopes the server accepts. It is the seam between the
// protocol and the node's storage (mailbox or relay).
type Receiver interface {
	// Receive reads exactly size bytes of a sealed envelope from r,
	// verifies and stores it durably, and returns nil only once it is
	// fsynced. If the envelope (by its id) was already stored it returns
	// ErrDuplicate, possibly wrapped; that is acknowledged too. Errors of
	// type *Error (4xx or 5xx) carry the SMTP reply to send; any other
	// error is answered 451 4.3.0. A read error from r means the stream
	// failed and nothing will be acknowledged.
	Receive(ctx context.Context, peer, recipient envelope.Address, size int64, r io.Reader) error
}

// Server answers the node-to-node protocol on streams handed to it.
// The fields are read-only once ServeConn has been called.
type Server struct {
	// Local is this node's address: the only accepted recipient.
	Local envelope.Address
	// Receiver stores accepted envelopes. Required.
	Receiver Receiver
	// MaxSize is the largest envelope accepted, in octets
	// (DefaultMaxSize when zero).
	MaxSize int64
	// Logger receives one line per session outcome; nil discards.
	Logger *slog.Logger
	// Timeouts bound every wait; zero fields take defaults.
	Timeouts Timeouts
	// Relay, when set, makes this server a relay: it advertises
	// YGGPOST-RELAY 1, takes deposits for the addresses Relay admits, and
	// answers REGISTER, RECORD, DROP and ATRN.
	Relay RelayService
	// Records, when set, answers RELAYS queries.
	Records RecordSource
}

// errQuit ends a session normally after QUIT.
var errQuit = errors.New("quit")

// ServeConn runs one session on conn, whose remote key the transport has
// authenticated as peer. It closes conn before returning. It returns nil
// after QUIT or when the peer closes the stream between commands, and an
// error when the stream fails, times out, ctx is done, or the peer breaks
// the framing.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn, peer envelope.Address) error {
	defer conn.Close()
	if s.Receiver == nil {
		return errors.New("serve peer: Server.Receiver is nil")
	}
	sess := s.newSession(ctx, conn, peer)
	stop := sess.dl.bind(ctx)
	defer stop()
	defer sess.out.close() // sends what is queued, after pending stores
	err := sess.run()
	if errors.Is(err, errQuit) || errors.Is(err, errTurned) {
		err = nil
	}
	if err != nil {
		err = fmt.Errorf("serve peer %s: %w", peer, err)
		sess.log.Debug("peer session ended", "err", err)
	}
	return err
}

func (s *Server) newSession(ctx context.Context, conn net.Conn, peer envelope.Address) *session {
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	maxSize := s.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	dl := &deadlines{conn: conn, ctx: ctx}
	t := s.Timeouts.withDefaults()
	return &session{
		srv:     s,
		ctx:     ctx,
		conn:    conn,
		br:      bufio.NewReader(conn),
		dl:      dl,
		t:       t,
		out:     newAnswers(conn, dl, t.Command),
		peer:    peer,
		maxSize: maxSize,
		log:     log.With("peer", peer.String(), "remote", conn.RemoteAddr().String()),
	}
}

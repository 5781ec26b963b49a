package transport

import (
	"crypto/ed25519"
	"io"
	"net"
	"time"

	"github.com/quic-go/quic-go"
)

// Stream is one QUIC stream to or from another node. It is a net.Conn; its
// deadlines, Read, Write and Close are the stream's own.
type Stream struct {
	net.Conn
	peer  ed25519.PublicKey
	conns *connTable
}

// Peer is the public key of the node at the other end, as proven by its
// QUIC (TLS) certificate.
func (s *Stream) Peer() ed25519.PublicKey { return s.peer }

// readCanceler is the part of a QUIC stream that gives up its receive side.
type readCanceler interface{ CancelRead(quic.StreamErrorCode) }

// After Close, what the peer still sends is read and dropped until its FIN,
// for at most drainTimeout and drainLimit octets.
const (
	drainTimeout = 10 * time.Second
	drainLimit   = 64 << 10
)

// Close ends the stream: it sends what is buffered followed by FIN, and
// reads whatever the peer still sends up to its FIN in the background. A
// QUIC stream stays open — and counts against the connection's limit of
// concurrent streams — until its receive side has been read to FIN, so
// without this a node that opens many streams to one peer would stall once
// the limit is used up. A peer that does not finish within drainTimeout is
// told to stop sending.
func (s *Stream) Close() error {
	err := s.Conn.Close()
	if rc, ok := s.Conn.(readCanceler); ok {
		go s.drain(rc)
	}
	return err
}

func (s *Stream) drain(rc readCanceler) {
	s.Conn.SetReadDeadline(time.Now().Add(drainTimeout))
	io.Copy(io.Discard, io.LimitReader(s.Conn, drainLimit))
	rc.CancelRead(0)
}

// Reset closes the whole QUIC connection this stream runs on, with every
// other stream on it, so that the next Dial to the peer starts a fresh one.
// Use it when the peer does not answer on a new stream: it may have
// restarted, leaving this connection stale.
func (s *Stream) Reset() error {
	if qc, ok := s.Conn.(quicCloser); ok {
		s.conns.forget(s.peer, qc)
		return qc.CloseWithError(0, "connection reset")
	}
	return s.Conn.Close()
}

// ResetPeer closes the QUIC connection to key, if there is one, so that the
// next Dial makes a fresh connection. It reports whether one was closed.
func (m *Mesh) ResetPeer(key ed25519.PublicKey) bool {
	return m.conns.reset(key, "connection reset")
}

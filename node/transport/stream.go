package transport

import (
	"crypto/ed25519"
	"net"

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

// Close ends both directions of the stream: it sends what is buffered
// followed by FIN, and stops receiving. A QUIC stream closed only for
// writing stays open — and counts against the connection's stream limit —
// until its receive side is read to FIN, so without the second half a peer
// that opens many streams would stall once the limit is used up.
func (s *Stream) Close() error {
	err := s.Conn.Close()
	if rc, ok := s.Conn.(readCanceler); ok {
		rc.CancelRead(0)
	}
	return err
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

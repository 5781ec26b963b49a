package transport

import (
	"context"
	"crypto/ed25519"
	"net"
)

// Streams is the seam the node uses to exchange byte streams with other
// nodes by public key. Mesh implements it over QUIC; another lane (for
// example uTP) can be added behind the same interface.
type Streams interface {
	// Dial opens a stream to the node with the given key, retrying until
	// ctx ends.
	Dial(ctx context.Context, to ed25519.PublicKey) (net.Conn, error)
	// Accept waits for the next incoming stream and reports its sender.
	Accept() (net.Conn, ed25519.PublicKey, error)
	// Close stops the lane; pending and later Accept calls return ErrClosed.
	Close() error
}

var _ Streams = (*Mesh)(nil)

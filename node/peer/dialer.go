package peer

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// Mesh is what a Dialer needs of the transport: streams to a key, and a way
// to drop a connection that may be stale.
type Mesh interface {
	// Dial opens a stream to the node with key to, authenticated as that
	// key, searching the mesh for it until ctx ends.
	Dial(ctx context.Context, to ed25519.PublicKey) (net.Conn, error)
	// ResetPeer closes the connection to key, so that the next Dial makes
	// a new one; it reports whether there was one.
	ResetPeer(key ed25519.PublicKey) bool
}

// DefaultSetupTimeout bounds the greeting and EHLO of a session a Dialer
// opens, once the stream exists.
const DefaultSetupTimeout = 10 * time.Second

// Dialer opens client sessions with other nodes over the mesh. It is the
// one way the node's parts (delivery, deposits, relay sessions, forwarding,
// greetings, DROP) reach another node.
type Dialer struct {
	// Mesh makes the streams. Required.
	Mesh Mesh
	// Client says who we are and bounds each wait of a session.
	Client Client
	// Setup bounds the opening of a session once the stream exists
	// (DefaultSetupTimeout when zero).
	Setup time.Duration
}

// Open reaches addr on the mesh within reach, then opens a session on a
// fresh stream. When the session cannot be opened the connection to addr
// may be stale (the node restarted), so it is reset for the next attempt.
func (d *Dialer) Open(ctx context.Context, addr envelope.Address, reach time.Duration) (*ClientConn, error) {
	dctx, cancel := context.WithTimeout(ctx, reach)
	conn, err := d.Mesh.Dial(dctx, addr.Key())
	cancel()
	if err != nil {
		return nil, fmt.Errorf("reach %s: %w", addr, err)
	}
	setup := d.Setup
	if setup <= 0 {
		setup = DefaultSetupTimeout
	}
	octx, cancel := context.WithTimeout(ctx, setup)
	defer cancel()
	sc, err := d.Client.Open(octx, conn)
	if err != nil {
		conn.Close()
		d.Mesh.ResetPeer(addr.Key())
		return nil, fmt.Errorf("open session with %s: %w", addr, err)
	}
	return sc, nil
}

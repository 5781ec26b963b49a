package transport

import (
	"crypto/ed25519"
	"net"
	"sync"

	"github.com/quic-go/quic-go"
)

// maxTrackedConns bounds the connection table. Past it an arbitrary entry is
// forgotten: its connection keeps working, it just cannot be reset by key or
// be told goodbye on Close (it then ends by QUIC's idle timeout).
const maxTrackedConns = 4096

// quicCloser is what yggquic's streams offer to close their whole QUIC
// connection (they embed *quic.Conn).
type quicCloser interface {
	CloseWithError(quic.ApplicationErrorCode, string) error
}

// connTable remembers, per peer key, the QUIC connection of the newest
// stream to or from it, so that the connection can be reset when it turns
// out to be stale.
type connTable struct {
	mu    sync.Mutex
	conns map[[32]byte]quicCloser
}

func newConnTable() *connTable {
	return &connTable{conns: make(map[[32]byte]quicCloser)}
}

func (t *connTable) track(key ed25519.PublicKey, c net.Conn) {
	qc, ok := c.(quicCloser)
	if !ok || len(key) != ed25519.PublicKeySize {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.conns) >= maxTrackedConns {
		for k := range t.conns {
			delete(t.conns, k)
			break
		}
	}
	t.conns[[32]byte(key)] = qc
}

// reset closes the connection to key, if one is known, and forgets it.
func (t *connTable) reset(key ed25519.PublicKey, why string) bool {
	if len(key) != ed25519.PublicKeySize {
		return false
	}
	t.mu.Lock()
	qc, ok := t.conns[[32]byte(key)]
	delete(t.conns, [32]byte(key))
	t.mu.Unlock()
	if ok {
		_ = qc.CloseWithError(0, why) // closing an already closed connection is harmless
	}
	return ok
}

// forget drops key's entry if it still refers to qc.
func (t *connTable) forget(key ed25519.PublicKey, qc quicCloser) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.conns[[32]byte(key)]; ok && cur == qc {
		delete(t.conns, [32]byte(key))
	}
}

// closeAll closes every known connection, telling each peer why.
func (t *connTable) closeAll(why string) {
	t.mu.Lock()
	all := t.conns
	t.conns = make(map[[32]byte]quicCloser)
	t.mu.Unlock()
	for _, qc := range all {
		_ = qc.CloseWithError(0, why) // best effort: the node is going away
	}
}

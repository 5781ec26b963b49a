package transport

import (
	"crypto/ed25519"
	"sync"
)

// wakeups lets dials in progress hear that the mesh just found a path to
// their key (or that a new link came up), so that a QUIC handshake stuck in
// retransmission backoff is restarted at once instead of seconds later.
type wakeups struct {
	mu      sync.Mutex
	waiters map[[32]byte]map[chan struct{}]struct{}
}

func newWakeups() *wakeups {
	return &wakeups{waiters: make(map[[32]byte]map[chan struct{}]struct{})}
}

// register returns a channel that receives when key is signalled, and a
// function that must be called when the caller stops waiting.
func (w *wakeups) register(key ed25519.PublicKey) (<-chan struct{}, func()) {
	k := [32]byte(key)
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waiters[k] == nil {
		w.waiters[k] = make(map[chan struct{}]struct{})
	}
	w.waiters[k][ch] = struct{}{}
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.waiters[k], ch)
		if len(w.waiters[k]) == 0 {
			delete(w.waiters, k)
		}
	}
}

// signal wakes the waiters for key, or every waiter when key is nil. It
// never blocks.
func (w *wakeups) signal(key ed25519.PublicKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, set := range w.waiters {
		if key != nil && (len(key) != len(k) || [32]byte(key) != k) {
			continue
		}
		for ch := range set {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

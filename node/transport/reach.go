package transport

import (
	"crypto/ed25519"
	"sync"
)

// maxPendingKeys bounds the keys waiting to be delivered on Reachable. When
// more are pending the notifier collapses them into one "retry all" (nil).
const maxPendingKeys = 1024

// notifier coalesces reachability events and hands them to one consumer.
// add never blocks, so it is safe inside yggdrasil's actors. One goroutine
// (pump) owns delivery on out.
type notifier struct {
	mu      sync.Mutex
	all     bool
	pending []ed25519.PublicKey
	seen    map[[32]byte]bool
	kick    chan struct{}
	out     chan ed25519.PublicKey
}

func newNotifier() *notifier {
	return &notifier{
		seen: make(map[[32]byte]bool),
		kick: make(chan struct{}, 1),
		out:  make(chan ed25519.PublicKey),
	}
}

// add queues key; a nil key means "anything may be reachable now".
func (n *notifier) add(key ed25519.PublicKey) {
	n.mu.Lock()
	switch {
	case key == nil:
		n.all = true
	case len(key) != ed25519.PublicKeySize:
		// Not a key: nothing to report.
	case len(n.pending) >= maxPendingKeys:
		n.all = true
	default:
		k := [32]byte(key)
		if !n.seen[k] {
			n.seen[k] = true
			n.pending = append(n.pending, append(ed25519.PublicKey(nil), key...))
		}
	}
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// take empties the queue; a true all comes before the keys.
func (n *notifier) take() (all bool, keys []ed25519.PublicKey) {
	n.mu.Lock()
	defer n.mu.Unlock()
	all, keys = n.all, n.pending
	n.all, n.pending = false, nil
	clear(n.seen)
	return all, keys
}

// pump delivers queued events on out until done is closed, then closes out.
func (n *notifier) pump(done <-chan struct{}) {
	defer close(n.out)
	for {
		select {
		case <-done:
			return
		case <-n.kick:
		}
		all, keys := n.take()
		if all {
			keys = append([]ed25519.PublicKey{nil}, keys...)
		}
		for _, k := range keys {
			select {
			case n.out <- k:
			case <-done:
				return
			}
		}
	}
}

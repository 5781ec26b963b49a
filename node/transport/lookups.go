package transport

import (
	"crypto/ed25519"
	"sync"
	"time"
)

// Lookup timing. A lookup waits for the tree to reach its key (see
// treeReaches), checked every lookupPoll while some lookup was asked for
// (or a link came up) less than lookupFast ago and every lookupPollSlow
// after that, for at most lookupHold; then it is sent anyway, as it would
// be without the check. A tree forms in one to three routing rounds of a
// second each (a new node that becomes the root adds one); a node that is
// not in the tree after lookupHold is probably not on the mesh now.
const (
	lookupPoll     = 20 * time.Millisecond
	lookupPollSlow = 250 * time.Millisecond
	lookupFast     = 4 * time.Second
	lookupHold     = 5 * time.Second
	// maxPendingLookups bounds the lookups waiting; more are dropped (a
	// caller that still wants one asks again, as Dial and the prober do).
	maxPendingLookups = 4096
)

// meshView is one reading of the mesh's routing state, taken once per
// round of the lookup sender.
type meshView interface {
	reaches(key ed25519.PublicKey) bool // a lookup for key can leave now
	known(key ed25519.PublicKey) bool   // a path to key is known
}

// pendingLookup is a lookup waiting to be sent or to be answered.
type pendingLookup struct {
	since time.Time
	// unlessKnown drops the lookup if a path is known before it can be
	// sent: it was asked for on the off chance, not to refresh a path.
	unlessKnown bool
	// sent: the lookup went out at least once. It is repeated every round
	// (ironwood drops repeats within its throttle) until a path is known.
	sent bool
}

// lookups holds path lookups back until they can leave this node, then
// sends each until a path is known, as often as ironwood lets a lookup
// through (once a second), for at most lookupHold: a lookup or its answer
// can be lost while the tree is still forming. One goroutine (run) owns the
// sending; it polls only while some lookup waits.
type lookups struct {
	mu      sync.Mutex
	pending map[[32]byte]pendingLookup
	kick    chan struct{}
}

func newLookups() *lookups {
	return &lookups{pending: make(map[[32]byte]pendingLookup), kick: make(chan struct{}, 1)}
}

// add asks for a lookup of key; it never blocks, so it is safe inside
// yggdrasil's actors. A key already waiting keeps its place; unlessKnown
// is kept only if both askers want it.
func (l *lookups) add(key ed25519.PublicKey, unlessKnown bool) {
	if len(key) != ed25519.PublicKeySize {
		return
	}
	l.mu.Lock()
	k := [32]byte(key)
	if p, ok := l.pending[k]; ok {
		p.unlessKnown = p.unlessKnown && unlessKnown
		l.pending[k] = p
	} else if len(l.pending) < maxPendingLookups {
		l.pending[k] = pendingLookup{since: time.Now(), unlessKnown: unlessKnown}
	}
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// restart gives every waiting lookup its full hold again, polled fast: a
// new link came up and a tree is forming through it. It never blocks for
// long, so it is safe inside yggdrasil's actors.
func (l *lookups) restart() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for k, p := range l.pending {
		p.since = now
		l.pending[k] = p
	}
}

// due returns the keys to look up now and how long to wait before the next
// round (0: none waits). It forgets a key once a path to it is known (after
// its lookup went out, or before if unlessKnown) and after lookupHold, when
// a lookup that never went out is sent anyway.
func (l *lookups) due(view meshView) (send []ed25519.PublicKey, next time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, p := range l.pending {
		key := ed25519.PublicKey(k[:])
		age := time.Since(p.since)
		switch {
		case (p.sent || p.unlessKnown) && view.known(key):
			delete(l.pending, k)
			continue
		case age >= lookupHold:
			if !p.sent {
				send = append(send, append(ed25519.PublicKey(nil), key...))
			}
			delete(l.pending, k)
			continue
		case view.reaches(key):
			send = append(send, append(ed25519.PublicKey(nil), key...))
			p.sent = true
			l.pending[k] = p
		}
		if age < lookupFast {
			next = lookupPoll
		} else if next == 0 {
			next = lookupPollSlow
		}
	}
	return send, next
}

// run sends lookups as they become due until done is closed: at once when
// asked if the tree already reaches the key, otherwise on the first round
// that finds it does. view reads the mesh's state for one round.
func (l *lookups) run(done <-chan struct{}, view func() meshView, send func(ed25519.PublicKey)) {
	for {
		select {
		case <-done:
			return
		case <-l.kick:
		}
		for {
			keys, next := l.due(view())
			for _, k := range keys {
				send(k)
			}
			if next == 0 {
				break
			}
			select {
			case <-done:
				return
			case <-l.kick: // a new key
			case <-time.After(next):
			}
		}
	}
}

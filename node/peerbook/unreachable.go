package peerbook

import (
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// unreachableFor is how long a recipient whose node could not be reached
// is not searched for again before its next envelope goes to a relay: the
// messages of a burst after the first go straight to the relays instead of
// each waiting ReachTimeout. A path or link event from the mesh, or a
// stream from the recipient, clears it at once.
const unreachableFor = 30 * time.Second

// unreachable remembers recipients whose node did not answer recently.
type unreachable struct {
	mu    sync.Mutex
	since map[envelope.Address]time.Time
}

func newUnreachable() *unreachable {
	return &unreachable{since: map[envelope.Address]time.Time{}}
}

// mark notes that a's node could not be reached just now.
func (u *unreachable) mark(a envelope.Address) {
	u.mu.Lock()
	u.since[a] = time.Now()
	u.mu.Unlock()
}

// recently reports whether a's node failed to answer in the last
// unreachableFor.
func (u *unreachable) recently(a envelope.Address) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	t, ok := u.since[a]
	if ok && time.Since(t) >= unreachableFor {
		delete(u.since, a)
		return false
	}
	return ok
}

// clear forgets a (nil: everyone), for the mesh says it may be reachable.
func (u *unreachable) clear(a *envelope.Address) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if a == nil {
		clear(u.since)
		return
	}
	delete(u.since, *a)
}

package relay

import (
	"fmt"
	"sync"

	"github.com/yggpost/yggpost/envelope"
)

// watchers is the registry of hand-over sessions waiting for new envelopes.
type watchers struct {
	mu     sync.Mutex
	max    int
	byAddr map[envelope.Address]map[*watcher]struct{}
	closed bool
}

type watcher struct {
	c    chan envelope.ID
	done bool // channel closed; guarded by watchers.mu
}

func (ws *watchers) init(max int) {
	ws.max = max
	ws.byAddr = map[envelope.Address]map[*watcher]struct{}{}
}

// Watch subscribes to the ids of envelopes deposited for member after it
// returns, in commit order. A session calls Watch first, then Pending, so
// it misses nothing (an id may then arrive twice; de-duplicate by id).
//
// Writers never block: a watcher more than WatchBuffer ids behind is
// closed, as are all watchers when the relay closes or the member is
// unregistered. A closed channel means "read Pending again and re-Watch".
// Call the returned function to stop watching; it is idempotent.
func (r *Relay) Watch(member envelope.Address) (<-chan envelope.ID, func(), error) {
	if err := r.enter(); err != nil {
		return nil, nil, err
	}
	defer r.leave()
	ws := &r.watch
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		return nil, nil, ErrClosed
	}
	set := ws.byAddr[member]
	if len(set) >= ws.max {
		return nil, nil, fmt.Errorf("watch %s: %d watchers: %w", member, len(set), ErrTooManyWatchers)
	}
	if set == nil {
		set = map[*watcher]struct{}{}
		ws.byAddr[member] = set
	}
	w := &watcher{c: make(chan envelope.ID, WatchBuffer)}
	set[w] = struct{}{}
	return w.c, func() { ws.remove(member, w) }, nil
}

// remove unregisters w and closes its channel (ws.mu not held).
func (ws *watchers) remove(member envelope.Address, w *watcher) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.dropLocked(member, w)
}

func (ws *watchers) dropLocked(member envelope.Address, w *watcher) {
	if w.done {
		return
	}
	w.done = true
	close(w.c)
	delete(ws.byAddr[member], w)
	if len(ws.byAddr[member]) == 0 {
		delete(ws.byAddr, member)
	}
}

// notify offers id to member's watchers, closing any that are full.
func (ws *watchers) notify(member envelope.Address, id envelope.ID) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for w := range ws.byAddr[member] {
		select {
		case w.c <- id:
		default:
			ws.dropLocked(member, w)
		}
	}
}

// closeMember closes every watcher of member.
func (ws *watchers) closeMember(member envelope.Address) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for w := range ws.byAddr[member] {
		ws.dropLocked(member, w)
	}
}

// closeAll closes every watcher; later Watch calls fail.
func (ws *watchers) closeAll() {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.closed = true
	for member, set := range ws.byAddr {
		for w := range set {
			ws.dropLocked(member, w)
		}
	}
}

package mailbox

import (
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// ChangeKind says what happened to a message.
type ChangeKind int

const (
	Added ChangeKind = iota
	FlagsChanged
	Expunged
)

func (k ChangeKind) String() string {
	switch k {
	case Added:
		return "added"
	case FlagsChanged:
		return "flags"
	case Expunged:
		return "expunged"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// Change is one event of a mailbox's change feed.
type Change struct {
	Mailbox string // name at the time of the change
	Kind    ChangeKind
	UID     uint32
	Flags   []string // new flags for Added and FlagsChanged
	ModSeq  uint64   // the mailbox's MODSEQ after the change
}

// WatchBuffer is the number of changes a watcher may fall behind before it
// overflows.
const WatchBuffer = 1024

// Watcher receives the changes of one mailbox, in MODSEQ order, committed
// after Watch returned, by any goroutine. A session should Watch first and
// then read the mailbox, so that it misses nothing.
//
// Policy for slow readers: writers never block. If a watcher's buffer is
// full, the watcher is dropped: its channel is closed and Err returns
// ErrOverflow; the reader must re-read the mailbox (Messages, Status) and
// Watch again. When the mailbox is deleted the channel is closed with
// Err() == ErrNoMailbox, and when the Store closes, with ErrClosed. A
// renamed mailbox keeps its watchers.
type Watcher struct {
	set *watchers
	id  uint32
	c   chan Change
	err error // guarded by set.mu
}

// watchers is the registry of watchers by mailbox id.
type watchers struct {
	mu   sync.Mutex
	byID map[uint32]map[*Watcher]struct{}
}

func (ws *watchers) init() { ws.byID = map[uint32]map[*Watcher]struct{}{} }

// Watch subscribes to the changes of mailbox.
func (s *Store) Watch(mailbox string) (*Watcher, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	// Holding mu orders the registration against writers: every change
	// committed after this point is published to the new watcher.
	s.mu.Lock()
	defer s.mu.Unlock()
	var rec mailboxRec
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		rec, err = lookup(txn, mailbox)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	return s.watch.add(rec.id), nil
}

func (ws *watchers) add(id uint32) *Watcher {
	w := &Watcher{set: ws, id: id, c: make(chan Change, WatchBuffer)}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.byID[id] == nil {
		ws.byID[id] = map[*Watcher]struct{}{}
	}
	ws.byID[id][w] = struct{}{}
	return w
}

// C returns the channel of changes. It is closed when the watcher ends.
func (w *Watcher) C() <-chan Change { return w.c }

// Err returns why the channel was closed: ErrOverflow, ErrNoMailbox or
// ErrClosed; nil while it is open or after Close.
func (w *Watcher) Err() error {
	w.set.mu.Lock()
	defer w.set.mu.Unlock()
	return w.err
}

// Close unsubscribes the watcher and closes its channel. It is safe to
// call more than once and after the watcher ended.
func (w *Watcher) Close() {
	w.set.mu.Lock()
	defer w.set.mu.Unlock()
	w.set.drop(w, nil)
}

// drop removes w and closes its channel, once. Callers hold mu.
func (ws *watchers) drop(w *Watcher, why error) {
	set, ok := ws.byID[w.id]
	if !ok {
		return
	}
	if _, ok := set[w]; !ok {
		return
	}
	delete(set, w)
	if len(set) == 0 {
		delete(ws.byID, w.id)
	}
	w.err = why
	close(w.c)
}

// publish delivers committed changes without blocking.
func (ws *watchers) publish(changes []boxChange) {
	if len(changes) == 0 {
		return
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, bc := range changes {
		for w := range ws.byID[bc.id] {
			select {
			case w.c <- bc.c:
			default:
				ws.drop(w, ErrOverflow)
			}
		}
	}
}

// end closes every watcher of mailbox id with why.
func (ws *watchers) end(id uint32, why error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for w := range ws.byID[id] {
		ws.drop(w, why)
	}
}

func (ws *watchers) closeAll(why error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, set := range ws.byID {
		for w := range set {
			ws.drop(w, why)
		}
	}
}

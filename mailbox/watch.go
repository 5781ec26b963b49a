package mailbox

import (
	"fmt"
	"sync"
	"time"

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
	// Size and InternalDate are the added message's, for Added; with UID,
	// Flags and ModSeq they are its Message.
	Size         int64
	InternalDate time.Time
}

// Message is the message an Added change added.
func (c Change) Message() Message {
	return Message{UID: c.UID, Flags: c.Flags, Size: c.Size, InternalDate: c.InternalDate, ModSeq: c.ModSeq}
}

// WatchBuffer is the number of changes a watcher may fall behind before it
// overflows.
const WatchBuffer = 1024

// Watcher receives the changes of one mailbox, in MODSEQ order, committed
// after Watch returned, by any goroutine. A session should Watch first and
// then read the mailbox, so that it misses nothing.
//
// Policy for slow readers: writers never block. If a watcher's buffer is
// full, the watcher ends: its channel is closed and Err returns
// ErrOverflow; the reader must re-read the mailbox (Messages, Status) and
// watch again (Renew). When the mailbox is deleted the channel is closed
// with Err() == ErrNoMailbox, and when the Store closes, with ErrClosed. A
// renamed mailbox keeps its watchers.
//
// A watcher from WatchRetaining also retains what is expunged while it is
// open (see there) until it releases it, closes, or the mailbox is deleted;
// it keeps retaining after an overflow, until Close or Renew.
type Watcher struct {
	set    *watchers
	store  *Store
	id     uint32
	c      chan Change
	retain bool
	// guarded by set.mu:
	err   error
	ended bool                // the channel is closed
	held  map[uint32]struct{} // expunged UIDs retained for this watcher
}

// heldKey names one expunged message kept for retaining watchers.
type heldKey struct{ id, uid uint32 }

// watchers is the registry of open watchers by mailbox id, and the count
// of retaining watchers that hold each expunged message.
type watchers struct {
	mu    sync.Mutex
	byID  map[uint32]map[*Watcher]struct{}
	holds map[heldKey]int
}

func (ws *watchers) init() {
	ws.byID = map[uint32]map[*Watcher]struct{}{}
	ws.holds = map[heldKey]int{}
}

// Watch subscribes to the changes of mailbox.
func (s *Store) Watch(mailbox string) (*Watcher, error) {
	return s.watchMailbox(mailbox, false)
}

// WatchRetaining is Watch for a reader that shows the mailbox to clients
// who learn of expunges later (an IMAP server, RFC 2180 4.1.1): a message
// expunged while the watcher is open keeps its body and its last record,
// readable with OpenMessage and copied by Copy and Move, until the watcher
// releases it (Release) or closes. What a crash leaves retained is
// deleted by Open.
func (s *Store) WatchRetaining(mailbox string) (*Watcher, error) {
	return s.watchMailbox(mailbox, true)
}

func (s *Store) watchMailbox(mailbox string, retain bool) (*Watcher, error) {
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
	return s.watch.add(s, rec.id, retain), nil
}

func (ws *watchers) add(s *Store, id uint32, retain bool) *Watcher {
	w := &Watcher{set: ws, store: s, id: id, c: make(chan Change, WatchBuffer), retain: retain, held: map[uint32]struct{}{}}
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

// Close unsubscribes the watcher, closes its channel and releases what it
// retains. It is safe to call more than once and after the watcher ended.
func (w *Watcher) Close() {
	if !w.retain || w.store.enter() != nil {
		w.set.mu.Lock()
		w.set.remove(w)
		w.set.mu.Unlock()
		return
	}
	defer w.store.leave()
	w.store.mu.Lock()
	defer w.store.mu.Unlock()
	w.set.mu.Lock()
	free := w.set.remove(w)
	w.set.mu.Unlock()
	w.store.dropExpunged(w.id, free)
}

// end closes the channel of w, once, with why. A watcher that retains
// nothing leaves the registry; a retaining one stays, as a holder, until
// Close. Callers hold mu.
func (ws *watchers) end(w *Watcher, why error) {
	if w.ended {
		return
	}
	w.ended, w.err = true, why
	close(w.c)
	if !w.retain {
		ws.unregister(w)
	}
}

// remove ends w without an error, unregisters it and returns the UIDs no
// watcher retains any more. Callers hold mu.
func (ws *watchers) remove(w *Watcher) []uint32 {
	ws.end(w, nil)
	ws.unregister(w)
	var free []uint32
	for uid := range w.held {
		if ws.unhold(heldKey{w.id, uid}) {
			free = append(free, uid)
		}
	}
	w.held = map[uint32]struct{}{}
	return free
}

func (ws *watchers) unregister(w *Watcher) {
	set := ws.byID[w.id]
	delete(set, w)
	if len(set) == 0 {
		delete(ws.byID, w.id)
	}
}

// unhold drops one hold on k and reports whether it was the last.
func (ws *watchers) unhold(k heldKey) bool {
	n := ws.holds[k] - 1
	if n > 0 {
		ws.holds[k] = n
		return false
	}
	delete(ws.holds, k)
	return true
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
			if w.ended {
				continue
			}
			select {
			case w.c <- bc.c:
			default:
				ws.end(w, ErrOverflow)
			}
		}
	}
}

// endMailbox closes every watcher of mailbox id with why and forgets what
// they retained (the mailbox is being deleted with it).
func (ws *watchers) endMailbox(id uint32, why error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for w := range ws.byID[id] {
		ws.end(w, why)
		ws.unregister(w)
		for uid := range w.held {
			delete(ws.holds, heldKey{id, uid})
		}
		w.held = map[uint32]struct{}{}
	}
}

func (ws *watchers) closeAll(why error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, set := range ws.byID {
		for w := range set {
			ws.end(w, why)
			ws.unregister(w)
			w.held = map[uint32]struct{}{}
		}
	}
	ws.holds = map[heldKey]int{}
}

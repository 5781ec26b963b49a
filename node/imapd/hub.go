package imapd

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/mailbox"
)

// hub is the shared server-side view of one selected mailbox: its message
// list in UID order and the imapserver.MailboxTracker that fans changes out
// to every session that has the mailbox selected. One goroutine per hub
// follows the store's change feed; sessions also call sync after their own
// writes so their untagged responses precede the tagged OK.
type hub struct {
	srv  *Server
	name string
	log  *slog.Logger

	tracker *imapserver.MailboxTracker
	refs    int // guarded by srv.mu

	mu      sync.Mutex
	msgs    []mailbox.Message      // server view, ascending UID
	maxUID  uint32                 // highest UID ever in msgs
	waiters map[chan struct{}]bool // sessions in IDLE, kicked after updates are queued

	stop chan struct{}
	done chan struct{}
}

// acquire returns the hub of name, starting it if no session uses it yet.
func (s *Server) acquire(name string) (*hub, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.hubs[name]; h != nil {
		h.refs++
		return h, nil
	}
	w, err := s.store.Watch(name)
	if err != nil {
		return nil, storeError("watch "+quote(name), err)
	}
	msgs, err := s.store.Messages(name)
	if err != nil {
		w.Close()
		return nil, storeError("list messages of "+quote(name), err)
	}
	h := &hub{
		srv: s, name: name, log: s.log.With("mailbox", name),
		tracker: imapserver.NewMailboxTracker(uint32(len(msgs))),
		refs:    1, msgs: msgs,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	if n := len(msgs); n > 0 {
		h.maxUID = msgs[n-1].UID
	}
	s.hubs[name] = h
	go h.run(w)
	return h, nil
}

// release drops one session's hold on h; the last one stops its goroutine
// and waits for it.
func (s *Server) release(h *hub) {
	s.mu.Lock()
	h.refs--
	last := h.refs == 0
	if last && s.hubs[h.name] == h {
		delete(s.hubs, h.name)
	}
	s.mu.Unlock()
	if last {
		close(h.stop)
		<-h.done
	}
}

// run follows the change feed until stop. A watcher that overflowed is
// replaced and the list re-read; a deleted mailbox empties the view.
func (h *hub) run(w *mailbox.Watcher) {
	defer close(h.done)
	defer func() {
		if w != nil {
			w.Close()
		}
	}()
	for {
		var feed <-chan mailbox.Change
		if w != nil {
			feed = w.C()
		}
		select {
		case <-h.stop:
			return
		case c, ok := <-feed:
			if ok {
				h.apply(c, feed)
				continue
			}
			w = h.rewatch(w)
		}
	}
}

// rewatch handles a closed feed: after an overflow it subscribes again and
// re-reads the mailbox; otherwise (mailbox deleted, store closed) it
// syncs once and leaves the hub without a feed.
func (h *hub) rewatch(old *mailbox.Watcher) *mailbox.Watcher {
	err := old.Err()
	old.Close()
	if !errors.Is(err, mailbox.ErrOverflow) {
		h.log.Debug("change feed ended", "err", err)
		h.sync(nil, nil)
		return nil
	}
	w, werr := h.srv.store.Watch(h.name)
	if werr != nil {
		h.log.Warn("re-watch mailbox", "err", werr)
		w = nil
	}
	h.sync(nil, nil)
	return w
}

// apply handles one change and any already queued behind it. Flag changes
// are applied from the event; anything else re-reads the list.
func (h *hub) apply(first mailbox.Change, feed <-chan mailbox.Change) {
	changes := []mailbox.Change{first}
	for len(changes) < 256 {
		select {
		case c, ok := <-feed:
			if !ok {
				h.sync(nil, nil)
				return
			}
			changes = append(changes, c)
			continue
		default:
		}
		break
	}
	for _, c := range changes {
		if c.Kind != mailbox.FlagsChanged {
			h.sync(nil, nil)
			return
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range changes {
		h.setFlagsLocked(c)
	}
}

// setFlagsLocked records the new flags of a FlagsChanged event and queues a
// FETCH (FLAGS) for every session. An event the view already has (a
// session's own STORE, merged by storeFlags; or one a re-read overtook),
// known by its MODSEQ, changes nothing.
func (h *hub) setFlagsLocked(c mailbox.Change) {
	i, ok := h.indexLocked(c.UID)
	if !ok || c.ModSeq <= h.msgs[i].ModSeq {
		return
	}
	h.msgs[i].ModSeq = c.ModSeq
	if slices.Equal(h.msgs[i].Flags, c.Flags) {
		return
	}
	h.msgs[i].Flags = slices.Clone(c.Flags)
	h.tracker.QueueMessageFlags(uint32(i+1), imap.UID(c.UID), imapFlags(c.Flags), nil)
	h.kickLocked()
}

// wait registers a session about to IDLE: the returned channel (buffer
// one) receives a kick whenever updates are queued. Registering before the
// session's first poll means no update can fall between the two.
func (h *hub) wait() chan struct{} {
	c := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.waiters == nil {
		h.waiters = map[chan struct{}]bool{}
	}
	h.waiters[c] = true
	return c
}

func (h *hub) unwait(c chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.waiters, c)
}

func (h *hub) kickLocked() {
	for c := range h.waiters {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// storeFlags runs a session's flag change and merges its result while
// holding the view, so the hub goroutine cannot report the change to that
// session first: source gets no FETCH for the messages it changed (it
// reports them itself, or not at all for .SILENT), every other session
// does.
func (h *hub) storeFlags(source *imapserver.SessionTracker, change func() ([]mailbox.Message, error)) ([]mailbox.Message, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	updated, err := change()
	if err != nil {
		return nil, err
	}
	own := make(map[uint32]bool, len(updated))
	for _, m := range updated {
		own[m.UID] = true
	}
	fresh, err := h.srv.store.Messages(h.name)
	if err != nil {
		h.log.Warn("re-read mailbox", "err", fmt.Errorf("list messages of %q: %w", h.name, err))
		return updated, nil // the change is made; the feed will bring the view up to date
	}
	h.mergeLocked(fresh, source, own)
	return updated, nil
}

func (h *hub) indexLocked(uid uint32) (int, bool) {
	i := sort.Search(len(h.msgs), func(i int) bool { return h.msgs[i].UID >= uid })
	return i, i < len(h.msgs) && h.msgs[i].UID == uid
}

// sync re-reads the message list from the store and queues the difference
// as tracker updates. Flag changes of the UIDs in own are not sent back to
// source, the session that made them and already reported them.
func (h *hub) sync(source *imapserver.SessionTracker, own map[uint32]bool) {
	fresh, err := h.srv.store.Messages(h.name)
	if errors.Is(err, mailbox.ErrNoMailbox) {
		fresh, err = nil, nil
	}
	if err != nil {
		h.log.Warn("re-read mailbox", "err", fmt.Errorf("list messages of %q: %w", h.name, err))
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mergeLocked(fresh, source, own)
}

// mergeLocked turns the difference between h.msgs and fresh into EXPUNGE,
// FETCH (FLAGS) and EXISTS updates, in that order, keeping the tracker's
// count equal to the list length at every step.
func (h *hub) mergeLocked(fresh []mailbox.Message, source *imapserver.SessionTracker, own map[uint32]bool) {
	byUID := make(map[uint32]mailbox.Message, len(fresh))
	for _, m := range fresh {
		byUID[m.UID] = m
	}
	kept := make([]mailbox.Message, 0, len(fresh))
	for _, m := range h.msgs {
		f, ok := byUID[m.UID]
		if !ok {
			h.tracker.QueueExpunge(uint32(len(kept) + 1))
			continue
		}
		kept = append(kept, f)
		if !slices.Equal(m.Flags, f.Flags) {
			src := (*imapserver.SessionTracker)(nil)
			if own[m.UID] {
				src = source
			}
			h.tracker.QueueMessageFlags(uint32(len(kept)), imap.UID(m.UID), imapFlags(f.Flags), src)
		}
	}
	for _, f := range fresh {
		if f.UID <= h.maxUID {
			continue // the store commits UIDs in ascending order, so it is known or expunged
		}
		kept = append(kept, f)
		h.maxUID = f.UID
		h.tracker.QueueNumMessages(uint32(len(kept)))
	}
	h.msgs = kept
	h.kickLocked()
}

func imapFlags(flags []string) []imap.Flag {
	out := make([]imap.Flag, len(flags))
	for i, f := range flags {
		out[i] = imap.Flag(f)
	}
	return out
}

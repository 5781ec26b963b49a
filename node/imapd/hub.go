package imapd

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/yggpost/yggpost/mailbox"
)

// hub is the shared server-side view of one selected mailbox: its message
// list in UID order and the views of the sessions that have it selected,
// each with its queue of updates. One goroutine per hub follows the
// store's change feed; sessions also wait for it after their own writes
// (settle) so their untagged responses precede the tagged OK.
//
// A message expunged from the store stays in the list, marked gone, until
// every view that knows it has been told (RFC 2180 4.1.1): until then its
// session can still FETCH it, as the store retains its record and body for
// the hub's watcher (mailbox.Store.WatchRetaining). The hub goroutine then
// releases it.
type hub struct {
	srv  *Server
	name string
	log  *slog.Logger

	refs int // guarded by srv.mu
	// uidValidity is the mailbox's when the hub started. The feed follows
	// the mailbox, not its name: a mailbox of the name with another
	// UIDVALIDITY (the one followed was renamed away, or deleted, and a
	// new one created) is another mailbox, with a hub of its own. Re-reads
	// by name are of the mailbox followed only while box says so.
	uidValidity uint32
	box         mailbox.Pinned
	storeName   string // name as the store spells it, as its changes carry it

	// syncMu orders the changes of the list: a re-read of the store with
	// its merge, a session's STORE with its merge, a release of retained
	// messages. So a list read earlier is never merged after one read
	// later, and nothing is released that a merge in progress may add.
	syncMu sync.Mutex

	mu        sync.Mutex
	msgs      []mailbox.Message // ascending UID: live messages and gone ones
	modSeq    uint64            // the mailbox's HIGHESTMODSEQ as of msgs
	gone      map[uint32]bool   // UIDs in msgs expunged from the store
	maxUID    uint32            // highest UID ever in msgs
	recentUID uint32            // highest UID claimed as \Recent (see recent.go)
	keywords  []string          // every keyword seen in msgs, sorted; only grows
	doubts    uint64            // signs the name may no longer be the mailbox's (doubt)
	views     map[*view]struct{}
	waiters   map[chan struct{}]bool // sessions in IDLE, kicked after updates are queued
	// live is set while the hub follows a change feed; advanced is closed
	// and replaced whenever modSeq grows (see settle).
	live     bool
	advanced chan struct{}

	kick chan struct{} // buffer 1: gone messages may be releasable
	stop chan struct{}
	done chan struct{}
}

// acquire returns the hub of name, starting it if no session uses it yet
// or if the hub of that name follows another mailbox than the one with
// uidValidity (see hub.uidValidity); that hub stays with its sessions. If
// the name no longer belongs to the mailbox with uidValidity when the hub
// has read it, it returns mailbox.ErrMailboxChanged.
func (s *Server) acquire(name string, uidValidity uint32) (*hub, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.hubs[name]
	if h != nil && h.uidValidity == uidValidity {
		h.refs++
		return h, nil
	}
	if h != nil {
		h.doubt() // the name has another mailbox now
	}
	box := s.store.Pin(name, uidValidity)
	w, err := s.store.WatchRetaining(name)
	if err != nil {
		return nil, storeError("watch "+quote(name), err)
	}
	l, err := s.store.List(name)
	var st mailbox.Status
	if err == nil {
		st, err = s.store.Status(name)
	}
	if err == nil {
		err = box.Check() // so the watcher, the list and st are of that mailbox
	}
	if err != nil {
		w.Close()
		return nil, storeError("list messages of "+quote(name), err)
	}
	storeName, _ := mailbox.CanonName(name) // Status read the name
	h = &hub{
		srv: s, name: name, log: s.log.With("mailbox", name),
		refs: 1, uidValidity: uidValidity, box: box, storeName: storeName, msgs: l.Messages, modSeq: l.ModSeq, maxUID: l.UIDNext - 1, gone: map[uint32]bool{}, recentUID: st.RecentUID,
		views: map[*view]struct{}{}, live: true, advanced: make(chan struct{}),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	for _, m := range l.Messages {
		h.addKeywordsLocked(m.Flags)
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
// renewed and the list re-read; a deleted mailbox empties the view. Closing
// the watcher at the end releases every message it retains.
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
		case <-h.kick:
			h.releaseRetained(w)
		case c, ok := <-feed:
			if ok {
				h.apply(c, feed)
				h.releaseRetained(w)
				continue
			}
			w = h.rewatch(w)
		}
	}
}

// rewatch handles a closed feed: after an overflow it renews the watcher,
// keeping what it retains, and re-reads the mailbox; otherwise (mailbox
// deleted, store closed) it syncs once and leaves the hub without a feed.
func (h *hub) rewatch(old *mailbox.Watcher) *mailbox.Watcher {
	err := old.Err()
	if !errors.Is(err, mailbox.ErrOverflow) {
		old.Close()
		h.log.Debug("change feed ended", "err", err)
		h.endFeed()
		h.sync()
		return nil
	}
	w, werr := old.Renew()
	if werr != nil {
		h.log.Warn("re-watch mailbox", "err", werr)
		h.endFeed()
		w = nil
	}
	h.sync()
	return w
}

// endFeed notes that the hub follows no change feed any more: settle
// re-reads from then on.
func (h *hub) endFeed() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.live = false
	h.advanceLocked()
}

// settleTimeout bounds how long settle waits for the feed before it
// re-reads the mailbox instead.
const settleTimeout = 2 * time.Second

// settle brings the list up to date with a write of the session's own,
// committed already, so that its untagged responses can precede the
// tagged OK: it waits until the hub goroutine has applied the change feed
// up to modSeq (the mailbox's HIGHESTMODSEQ after the write), which costs
// nothing like a re-read of every message in a large mailbox. Without a
// feed, or if the feed is not there within settleTimeout, it re-reads
// (sync).
func (h *hub) settle(modSeq uint64) {
	deadline := time.NewTimer(settleTimeout)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		done, live, advanced := h.modSeq >= modSeq, h.live, h.advanced
		h.mu.Unlock()
		switch {
		case done:
			return
		case !live:
			h.sync()
			return
		}
		select {
		case <-advanced:
		case <-deadline.C:
			h.log.Debug("change feed late; re-reading the mailbox", "want_modseq", modSeq)
			h.sync()
			return
		}
	}
}

// settleNow is settle to the mailbox's HIGHESTMODSEQ as the store has it
// now; if that cannot be read, or the name has another mailbox now, it
// re-reads the mailbox.
func (h *hub) settleNow() {
	st, err := h.srv.store.Status(h.name)
	if err == nil {
		err = h.box.Check()
	}
	if err != nil {
		h.sync()
		return
	}
	h.settle(st.HighestModSeq)
}

// advanceLocked wakes the sessions waiting in settle.
func (h *hub) advanceLocked() {
	close(h.advanced)
	h.advanced = make(chan struct{})
}

// releaseRetained gives back to the store the expunged messages w retains
// that no view needs: those the list no longer has (every session was
// told, see pruneLocked) or never had, though it has seen their UID (a
// message whose addition is still in the feed will be listed first).
func (h *hub) releaseRetained(w *mailbox.Watcher) {
	if w == nil {
		return
	}
	held := w.Held()
	if len(held) == 0 {
		return
	}
	h.syncMu.Lock()
	defer h.syncMu.Unlock()
	h.mu.Lock()
	free := slices.DeleteFunc(held, func(uid uint32) bool {
		_, listed := h.indexLocked(uid)
		return listed || uid > h.maxUID // listed, or its addition is still in the feed
	})
	h.mu.Unlock()
	if err := w.Release(free); err != nil {
		h.log.Warn("release expunged messages", "err", err)
	}
}

// apply brings the list up to date with one change of the feed and any
// already queued behind it, from the changes themselves: the store is not
// re-read, so a change costs the same in a large mailbox as in a small
// one. A change the list shows already (read with a higher or equal
// MODSEQ, see sync) is skipped.
func (h *hub) apply(first mailbox.Change, feed <-chan mailbox.Change) {
	changes := []mailbox.Change{first}
collect:
	for len(changes) < 256 {
		select {
		case c, ok := <-feed:
			if !ok {
				break collect // run renews the feed and re-reads
			}
			changes = append(changes, c)
		default:
			break collect
		}
	}
	h.syncMu.Lock()
	defer h.syncMu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range changes {
		h.applyLocked(c)
	}
	h.pruneLocked()
	h.kickLocked()
	h.advanceLocked()
}

// applyLocked applies one change of the feed to the list and queues its
// update for every view. A change that comes under another name than the
// hub's is of the mailbox followed, renamed: a doubt.
func (h *hub) applyLocked(c mailbox.Change) {
	if c.Mailbox != h.storeName {
		h.doubtLocked()
	}
	if c.Kind == mailbox.FlagsChanged {
		h.setFlagsLocked(c)
		h.modSeq = max(h.modSeq, c.ModSeq) // the feed is in MODSEQ order: all before it is applied
		return
	}
	if c.ModSeq <= h.modSeq {
		return
	}
	h.modSeq = c.ModSeq
	switch c.Kind {
	case mailbox.Added:
		if c.UID <= h.maxUID {
			return
		}
		m := c.Message()
		m.Flags = slices.Clone(m.Flags)
		h.msgs = append(h.msgs, m)
		h.maxUID = c.UID
		h.addKeywordsLocked(m.Flags)
		h.queueLocked(update{kind: updExists, uids: []uint32{c.UID}}, nil)
	case mailbox.Expunged:
		if _, ok := h.indexLocked(c.UID); ok && !h.gone[c.UID] {
			h.gone[c.UID] = true
			h.queueLocked(update{kind: updExpunge, uid: c.UID}, nil)
		}
	}
}

// setFlagsLocked records the new flags of a FlagsChanged event and queues a
// FETCH (FLAGS) for every view. An event the list already has (a session's
// own STORE, merged by storeFlags; or one a re-read overtook), known by its
// MODSEQ, changes nothing; nor does one of a gone message.
func (h *hub) setFlagsLocked(c mailbox.Change) {
	i, ok := h.indexLocked(c.UID)
	if !ok || h.gone[c.UID] || c.ModSeq <= h.msgs[i].ModSeq {
		return
	}
	h.msgs[i].ModSeq = c.ModSeq
	if slices.Equal(h.msgs[i].Flags, c.Flags) {
		return
	}
	h.msgs[i].Flags = slices.Clone(c.Flags)
	h.addKeywordsLocked(c.Flags)
	h.queueLocked(update{kind: updFlags, uid: c.UID, flags: h.msgs[i].Flags, modSeq: c.ModSeq}, nil)
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

// doubt records a sign that the name may no longer belong to the mailbox
// the hub follows: its feed ended or a re-read found the name taken
// (sync), a change came under another name (applyLocked), a session of
// this server renamed or deleted it (Server.doubtWithin), or a mailbox of
// another UIDVALIDITY was selected under the name (acquire). The hub does
// not read the store to make sure: each session checks its mailbox once
// per new doubt, before it is told anything more (session.recheck), and
// those in IDLE are woken to do so. A mailbox renamed away and back
// passes the check and its sessions go on.
func (h *hub) doubt() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.doubtLocked()
}

func (h *hub) doubtLocked() {
	h.doubts++
	h.kickLocked()
}

// doubtWithin raises a doubt in the hubs of the mailbox name and of those
// below it, after a session renamed or deleted it.
func (s *Server) doubtWithin(name string) {
	var doubted []*hub
	s.mu.Lock()
	for _, h := range s.hubs {
		if within(h.storeName, name) {
			doubted = append(doubted, h)
		}
	}
	s.mu.Unlock()
	for _, h := range doubted {
		h.doubt()
	}
}

// within reports whether storeName, a name as the store spells it, is the
// mailbox root or below it.
func within(storeName, root string) bool {
	root, err := mailbox.CanonName(root)
	return err == nil && (storeName == root || strings.HasPrefix(storeName, root+string(delim)))
}

func (h *hub) kickLocked() {
	for c := range h.waiters {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// storeFlags runs a session's flag change and applies its result before
// the hub goroutine can report the change: source gets no FETCH for the
// messages it changed (it reports them itself, or not at all for .SILENT),
// every other session does. The hub goroutine then finds the change's
// events applied already (by MODSEQ) and skips them; storeFlags waits for
// that (settle), so the HIGHESTMODSEQ the session tells next counts its
// own change.
func (h *hub) storeFlags(source *view, change func() ([]mailbox.Message, error)) ([]mailbox.Message, error) {
	updated, err := h.applyOwnFlags(source, change)
	if err != nil {
		return nil, err
	}
	var modSeq uint64
	for _, m := range updated {
		modSeq = max(modSeq, m.ModSeq)
	}
	h.settle(modSeq)
	return updated, nil
}

// applyOwnFlags runs change and applies its result (ownFlagsLocked), in
// one step of the list's changes (syncMu).
func (h *hub) applyOwnFlags(source *view, change func() ([]mailbox.Message, error)) ([]mailbox.Message, error) {
	h.syncMu.Lock()
	defer h.syncMu.Unlock()
	updated, err := change()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range updated {
		h.ownFlagsLocked(source, m)
	}
	h.kickLocked()
	return updated, nil
}

// ownFlagsLocked applies m, as source's own flag change left it, to the
// list: every other view is told; updates of m still queued for source are
// older than what it reports, and are brought up to date, so that they
// cannot take the client back to an older state. That holds too for a
// STORE that changed nothing, which reports the message as the list may
// have it already. A message the list does not have yet is left to the
// feed, and so is the list's state of one it has at a later MODSEQ.
func (h *hub) ownFlagsLocked(source *view, m mailbox.Message) {
	i, ok := h.indexLocked(m.UID)
	if !ok || h.gone[m.UID] {
		return
	}
	if m.ModSeq > h.msgs[i].ModSeq {
		h.msgs[i].ModSeq = m.ModSeq
		if !slices.Equal(h.msgs[i].Flags, m.Flags) {
			h.msgs[i].Flags = slices.Clone(m.Flags)
			h.addKeywordsLocked(m.Flags)
			h.queueLocked(update{kind: updFlags, uid: m.UID, flags: h.msgs[i].Flags, modSeq: m.ModSeq}, source)
		}
	}
	source.refreshLocked(m.UID, slices.Clone(m.Flags), m.ModSeq)
}

func (h *hub) indexLocked(uid uint32) (int, bool) {
	i := sort.Search(len(h.msgs), func(i int) bool { return h.msgs[i].UID >= uid })
	return i, i < len(h.msgs) && h.msgs[i].UID == uid
}

// sync re-reads the message list from the store and queues the difference
// as updates. A mailbox whose name has gone, or belongs to another mailbox
// now, is not re-read: the list keeps what the feed brought, and the
// sessions are told to check their mailbox (doubt), which ends them; the
// messages of the mailbox that has the name now are never merged into the
// list.
func (h *hub) sync() {
	h.syncMu.Lock()
	defer h.syncMu.Unlock()
	fresh, err := h.srv.store.List(h.name)
	if err == nil || errors.Is(err, mailbox.ErrNoMailbox) {
		err = h.box.Check() // ErrMailboxChanged also if the name has gone
	}
	if errors.Is(err, mailbox.ErrMailboxChanged) {
		h.doubt()
		return
	}
	if err != nil {
		h.log.Warn("re-read mailbox", "err", fmt.Errorf("list messages of %q: %w", h.name, err))
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mergeLocked(fresh)
}

// mergeLocked turns the difference between h.msgs and listing, read in one
// transaction, into expunge, flag and exists updates, in that order. A
// message missing from the listing stays in the list, gone, until
// pruneLocked finds no view that knows it.
func (h *hub) mergeLocked(listing mailbox.Listing) {
	fresh := listing.Messages
	h.modSeq = max(h.modSeq, listing.ModSeq)
	byUID := make(map[uint32]mailbox.Message, len(fresh))
	for _, m := range fresh {
		byUID[m.UID] = m
	}
	kept := make([]mailbox.Message, 0, len(h.msgs)+1)
	for _, m := range h.msgs {
		f, ok := byUID[m.UID]
		switch {
		case h.gone[m.UID]:
			f = m
		case !ok:
			f = m
			h.gone[m.UID] = true
			h.queueLocked(update{kind: updExpunge, uid: m.UID}, nil)
		case !slices.Equal(m.Flags, f.Flags):
			h.addKeywordsLocked(f.Flags)
			h.queueLocked(update{kind: updFlags, uid: m.UID, flags: f.Flags, modSeq: f.ModSeq}, nil)
		}
		kept = append(kept, f)
	}
	var added []uint32
	for _, f := range fresh {
		if f.UID <= h.maxUID {
			continue // the store commits UIDs in ascending order, so it is known or expunged
		}
		kept = append(kept, f)
		added = append(added, f.UID)
		h.maxUID = f.UID
		h.addKeywordsLocked(f.Flags)
	}
	if len(added) > 0 {
		h.queueLocked(update{kind: updExists, uids: added}, nil)
	}
	if listing.UIDNext > 0 {
		h.maxUID = max(h.maxUID, listing.UIDNext-1) // the UIDs between were expunged
	}
	h.msgs = kept
	h.pruneLocked()
	h.kickLocked()
	h.advanceLocked()
}

// pruneLocked drops from the list the gone messages no view knows any
// more, and wakes the hub goroutine to release them in the store.
func (h *hub) pruneLocked() {
	if len(h.gone) == 0 {
		return
	}
	drop := map[uint32]bool{}
	for uid := range h.gone {
		if !h.knownLocked(uid) {
			drop[uid] = true
			delete(h.gone, uid)
		}
	}
	if len(drop) == 0 {
		return
	}
	h.msgs = slices.DeleteFunc(h.msgs, func(m mailbox.Message) bool { return drop[m.UID] })
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// knownLocked reports whether a view has uid or is about to be told of it.
func (h *hub) knownLocked(uid uint32) bool {
	for v := range h.views {
		if v.knowsLocked(uid) {
			return true
		}
	}
	return false
}

// addKeywordsLocked adds the keywords among flags to h.keywords.
func (h *hub) addKeywordsLocked(flags []string) {
	for _, f := range flags {
		if isKeyword(f) && !slices.Contains(h.keywords, f) {
			h.keywords = append(h.keywords, f)
			slices.Sort(h.keywords)
		}
	}
}

func isKeyword(flag string) bool { return flag != "" && flag[0] != '\\' }

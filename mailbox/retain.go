package mailbox

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/internal/chunkstore"
)

// Retained messages. While a retaining watcher (WatchRetaining) of a
// mailbox is open, removing a message from it (Expunge, Move) moves its
// record from "i" to "x" + mailbox id + uid, keeping the blob reference,
// instead of deleting it. The watchers that were open then each hold it;
// when the last one releases it (Release, Close, Renew of a deleted
// mailbox), the record goes and the reference is dropped, in one
// transaction, and the body is deleted once that has committed. Open
// drops every retained record, as no watcher outlives the process.

// retaining reports whether a retaining watcher of mailbox id is open.
func (ws *watchers) retaining(id uint32) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for w := range ws.byID[id] {
		if w.retain {
			return true
		}
	}
	return false
}

// hold makes every retaining watcher of each key's mailbox hold it, and
// returns the keys no watcher holds (their watchers closed meanwhile).
func (ws *watchers) hold(keys []heldKey) []heldKey {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	var orphans []heldKey
	for _, k := range keys {
		for w := range ws.byID[k.id] {
			if _, dup := w.held[k.uid]; w.retain && !dup {
				w.held[k.uid] = struct{}{}
				ws.holds[k]++
			}
		}
		if ws.holds[k] == 0 {
			orphans = append(orphans, k)
		}
	}
	return orphans
}

// Held returns the expunged UIDs w retains, in ascending order.
func (w *Watcher) Held() []uint32 {
	w.set.mu.Lock()
	defer w.set.mu.Unlock()
	out := make([]uint32, 0, len(w.held))
	for uid := range w.held {
		out = append(out, uid)
	}
	slices.Sort(out)
	return out
}

// Release gives up the retained messages uids (others are ignored); those
// no other watcher holds are deleted with their bodies.
func (w *Watcher) Release(uids []uint32) error {
	if err := w.store.enter(); err != nil {
		return err
	}
	defer w.store.leave()
	w.store.mu.Lock()
	defer w.store.mu.Unlock()
	w.set.mu.Lock()
	var free []uint32
	for _, uid := range uids {
		if _, ok := w.held[uid]; !ok {
			continue
		}
		delete(w.held, uid)
		if w.set.unhold(heldKey{w.id, uid}) {
			free = append(free, uid)
		}
	}
	w.set.mu.Unlock()
	return w.store.dropExpunged(w.id, free)
}

// Renew replaces w, typically after an overflow, by a new watcher of the
// same mailbox (followed by id, so across renames) that takes over what w
// retains; w is closed. Changes committed between the end of w and Renew
// are not delivered: re-read the mailbox after Renew.
func (w *Watcher) Renew() (*Watcher, error) {
	s := w.store
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.View(func(txn *badger.Txn) error {
		_, err := loadMailbox(txn, w.id)
		return err
	})
	if err != nil {
		w.set.mu.Lock()
		free := w.set.remove(w)
		w.set.mu.Unlock()
		return nil, errors.Join(fmt.Errorf("renew watcher: %w", err), s.dropExpunged(w.id, free))
	}
	nw := s.watch.add(s, w.id, w.retain)
	w.set.mu.Lock()
	defer w.set.mu.Unlock()
	nw.held, w.held = w.held, map[uint32]struct{}{}
	w.set.end(w, nil)
	w.set.unregister(w)
	return nw, nil
}

// dropExpunged deletes the retained records uids of mailbox id and
// releases their bodies. Callers hold s.mu.
func (s *Store) dropExpunged(id uint32, uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	b := s.newBatch()
	defer s.finish(b)
	for _, uid := range uids {
		if err := b.dropExpunged(expungedKey(id, uid)); err != nil {
			return fmt.Errorf("release expunged message %d: %w", uid, err)
		}
	}
	return b.commit()
}

// dropExpunged deletes one retained record, if present, and its reference.
func (b *batch) dropExpunged(key []byte) error {
	v, err := b.get(key)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := b.del(key); err != nil {
		return err
	}
	m, err := decodeMessage(v)
	if err != nil {
		b.s.log.Error("retained message record dropped undecoded", "key", fmt.Sprintf("%x", key), "err", err)
		return nil // its body, if any, is left to the next sweep
	}
	return b.dropRef(m.Blob)
}

// retain moves the record of m, removed from rec, to the retained table.
func (b *batch) retain(rec *mailboxRec, m *messageRec) error {
	if err := b.set(expungedKey(rec.id, m.uid), m.encode()); err != nil {
		return fmt.Errorf("retain message %d of %q: %w", m.uid, rec.Name, err)
	}
	b.pendHeld = append(b.pendHeld, heldKey{rec.id, m.uid})
	return nil
}

// loadExpunged reads a retained record; ErrNotFound if there is none.
func loadExpunged(txn *badger.Txn, id, uid uint32) (messageRec, error) {
	item, err := txn.Get(expungedKey(id, uid))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return messageRec{}, fmt.Errorf("message %d: %w", uid, ErrNotFound)
	}
	if err != nil {
		return messageRec{}, fmt.Errorf("read expunged message %d: %w", uid, err)
	}
	var m messageRec
	err = item.Value(func(v []byte) error {
		m, err = decodeMessage(v)
		return err
	})
	if err != nil {
		return m, fmt.Errorf("read expunged message %d: %w", uid, err)
	}
	m.uid = uid
	return m, nil
}

// loadMessageOrExpunged reads a message, or its retained record.
func loadMessageOrExpunged(txn *badger.Txn, id, uid uint32) (m messageRec, expunged bool, err error) {
	m, err = loadMessage(txn, id, uid)
	if errors.Is(err, ErrNotFound) {
		m, err = loadExpunged(txn, id, uid)
		return m, err == nil, err
	}
	return m, false, err
}

// sweepExpunged drops the retained records under prefix (all of them at
// Open, one mailbox's when it is deleted).
func (s *Store) sweepExpunged(prefix []byte) error {
	keys, err := s.keysWithPrefix(prefix)
	if err != nil || len(keys) == 0 {
		return err
	}
	b := s.newBatch()
	defer s.finish(b)
	for _, k := range keys {
		if b.ops+2 >= maxBatchOps {
			if err := b.rollover(); err != nil {
				return err
			}
		}
		if err := b.dropExpunged(k); err != nil {
			return err
		}
	}
	return b.commit()
}

// CountBodies returns the number of message and outbox bodies with data
// on disk (copies share one; an empty body has no data). Operators and
// tests use it to see that nothing is left behind.
func (s *Store) CountBodies() (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.leave()
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		it := keyIterator(txn, []byte{tagChunk})
		defer it.Close()
		var last blobID
		for it.Rewind(); it.Valid(); it.Next() {
			id, _, ok := chunkstore.ParseChunkKey(tagChunk, it.Item().Key())
			if ok && (n == 0 || id != last) {
				n, last = n+1, id
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count bodies: %w", err)
	}
	return n, nil
}

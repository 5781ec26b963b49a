package mailbox

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// maxBatchOps is the number of writes after which a batch commits and
// starts a new transaction, well below Badger's transaction size limit.
const maxBatchOps = 200

// batch is an index update that may span several Badger transactions. The
// mailbox records it touched are written before every commit, so each
// commit leaves the counters consistent with the messages. Only one batch
// runs at a time (Store.mu). Changes and freed blobs are kept aside until
// their transaction has committed; Store.finish then publishes and deletes
// them. A shared batch, the one transaction of a group commit
// (Store.commits), never commits part way: a write that would need a
// second transaction fails with errGroupFull instead.
type batch struct {
	s      *Store
	txn    *badger.Txn
	ops    int // writes in the current transaction
	writes int // writes in all, for chunkstore.Batch
	shared bool
	whole  bool // one transaction, never rolled over: Badger's ErrTxnTooBig bounds it (Store.Submit)
	names  bool // a mailbox name was added or deleted (see Store.sent)
	boxes  map[uint32]*mailboxRec

	// outCount and outBytes are the changes to the outbox totals made in
	// the current transaction, added to the Store's once it commits.
	outCount int
	outBytes int64

	pendChanges, changes []boxChange
	pendFreed, freed     []blobID
	pendHeld, held       []heldKey // messages retained for watchers
}

// boxChange is a Change together with the id of its mailbox.
type boxChange struct {
	id uint32
	c  Change
}

func (s *Store) newBatch() *batch {
	return &batch{s: s, txn: s.db.NewTransaction(true), boxes: map[uint32]*mailboxRec{}}
}

func (b *batch) get(key []byte) ([]byte, error) { return getValue(b.txn, key) }

func (b *batch) set(key, value []byte) error {
	return b.setEntry(badger.NewEntry(key, value))
}

func (b *batch) setEntry(e *badger.Entry) error {
	b.touch(e.Key)
	return b.write(func() error { return b.txn.SetEntry(e) })
}

func (b *batch) del(key []byte) error {
	b.touch(key)
	return b.write(func() error { return b.txn.Delete(key) })
}

// touch notes a write of key that changes the set of mailbox names.
func (b *batch) touch(key []byte) {
	if len(key) > 0 && key[0] == tagName {
		b.names = true
	}
}

// write counts one write and performs it; should Badger still find the
// transaction too big (unusually large records), it rolls over and retries.
func (b *batch) write(w func() error) error {
	if err := b.step(); err != nil {
		return err
	}
	err := w()
	if errors.Is(err, badger.ErrTxnTooBig) && !b.shared && !b.whole {
		if err := b.rollover(); err != nil {
			return err
		}
		err = w()
	}
	return err
}

// step counts one write and rolls over to a new transaction when due.
func (b *batch) step() error {
	b.ops++
	b.writes++
	switch {
	case b.ops < maxBatchOps:
		return nil
	case b.shared:
		return errGroupFull
	case b.whole:
		return nil
	}
	return b.rollover()
}

// rollover commits the current transaction and starts the next one.
func (b *batch) rollover() error {
	if err := b.commit(); err != nil {
		return err
	}
	b.txn = b.s.db.NewTransaction(true)
	return nil
}

// commit writes the touched mailbox records and commits.
func (b *batch) commit() error {
	for id, rec := range b.boxes {
		if err := b.txn.Set(mailboxKey(id), rec.encode()); err != nil {
			return fmt.Errorf("write mailbox %q: %w", rec.Name, err)
		}
	}
	err := b.txn.Commit()
	b.txn.Discard()
	b.ops = 0
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	b.s.outCount += b.outCount
	b.s.outBytes += b.outBytes
	b.outCount, b.outBytes = 0, 0
	b.changes = append(b.changes, b.pendChanges...)
	b.freed = append(b.freed, b.pendFreed...)
	b.held = append(b.held, b.pendHeld...)
	b.pendChanges, b.pendFreed, b.pendHeld = nil, nil, nil
	return nil
}

// note records a change to publish once committed.
func (b *batch) note(rec *mailboxRec, kind ChangeKind, m *messageRec) {
	c := Change{Mailbox: rec.Name, Kind: kind, UID: m.uid, ModSeq: rec.ModSeq}
	if kind != Expunged {
		c.Flags = append([]string(nil), m.Flags...)
	}
	if kind == Added {
		c.Size, c.InternalDate = m.Size, m.Date
	}
	b.pendChanges = append(b.pendChanges, boxChange{id: rec.id, c: c})
}

// mailbox loads the record of name for update.
func (b *batch) mailbox(name string) (*mailboxRec, error) {
	id, err := lookupID(b.txn, name)
	if err != nil {
		return nil, err
	}
	if rec, ok := b.boxes[id]; ok {
		return rec, nil
	}
	rec, err := loadMailbox(b.txn, id)
	if err != nil {
		return nil, err
	}
	b.boxes[id] = &rec
	return &rec, nil
}

// forget stops writing rec at commit (the mailbox is being deleted).
func (b *batch) forget(rec *mailboxRec) { delete(b.boxes, rec.id) }

// addRef and dropRef maintain a blob's reference count. A blob whose count
// drops to zero is deleted after the commit.
func (b *batch) addRef(id blobID) error {
	n, err := b.refs(id)
	if err != nil {
		return err
	}
	return b.set(refKey(id), putUint32(n+1))
}

func (b *batch) dropRef(id blobID) error { return b.dropSizedRef(id, -1) }

// dropSizedRef is dropRef for a blob of size bytes (-1: unknown). A body
// of one chunk goes in the same transaction as its last reference, which
// saves the commit that deletes freed blobs afterwards; a chunk left
// behind by a body stored in smaller chunks long ago is swept at Open.
func (b *batch) dropSizedRef(id blobID, size int64) error {
	n, err := b.refs(id)
	if err != nil {
		return err
	}
	if n > 1 {
		return b.set(refKey(id), putUint32(n-1))
	}
	if size > 0 && size <= chunkSize {
		if err := b.del(chunkKey(id, 0)); err != nil {
			return err
		}
	} else {
		b.pendFreed = append(b.pendFreed, id)
	}
	return b.del(refKey(id))
}

func (b *batch) refs(id blobID) (uint32, error) {
	v, err := b.get(refKey(id))
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read references of blob %x: %w", id, err)
	}
	return getUint32(v)
}

// finish ends a batch: it discards an uncommitted transaction, publishes
// the committed changes and deletes the blobs no longer referenced.
// Retained messages are held by the watchers before the changes are
// published, so a watcher that sees an expunge already holds the message.
// Callers hold s.mu.
func (s *Store) finish(b *batch) {
	b.txn.Discard()
	if b.names {
		s.sentKnown = false
	}
	orphans := s.watch.hold(b.held)
	s.watch.publish(b.changes)
	if err := s.blobs.DeleteAll(b.freed); err != nil {
		s.log.Warn("bodies left for the next sweep", "err", err)
	}
	for _, k := range orphans {
		if err := s.dropExpunged(k.id, []uint32{k.uid}); err != nil {
			s.log.Warn("expunged message left for the next sweep", "err", err)
		}
	}
}

// lookupID returns the id of mailbox name (already canonical).
func lookupID(txn *badger.Txn, name string) (uint32, error) {
	v, err := getValue(txn, nameKey(name))
	if errors.Is(err, ErrNotFound) {
		return 0, fmt.Errorf("mailbox %q: %w", name, ErrNoMailbox)
	}
	if err != nil {
		return 0, fmt.Errorf("look up mailbox %q: %w", name, err)
	}
	id, err := getUint32(v)
	if err != nil {
		return 0, fmt.Errorf("look up mailbox %q: %w", name, err)
	}
	return id, nil
}

func loadMailbox(txn *badger.Txn, id uint32) (mailboxRec, error) {
	v, err := getValue(txn, mailboxKey(id))
	if errors.Is(err, ErrNotFound) {
		return mailboxRec{}, fmt.Errorf("mailbox %d: %w", id, ErrNoMailbox)
	}
	if err != nil {
		return mailboxRec{}, fmt.Errorf("read mailbox %d: %w", id, err)
	}
	rec, err := decodeMailbox(v)
	if err != nil {
		return rec, fmt.Errorf("read mailbox %d: %w", id, err)
	}
	rec.id = id
	return rec, nil
}

// lookup reads mailbox name (canonicalised here) in a read transaction.
func lookup(txn *badger.Txn, name string) (mailboxRec, error) {
	name, err := canonName(name)
	if err != nil {
		return mailboxRec{}, err
	}
	id, err := lookupID(txn, name)
	if err != nil {
		return mailboxRec{}, err
	}
	return loadMailbox(txn, id)
}

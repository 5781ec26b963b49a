package mailbox

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// Pinned is a mailbox as an IMAP session selected it: by its name and the
// UIDVALIDITY it had then. Its methods do what the Store's of the same
// name do to the mailbox of that name, but only while the name still
// belongs to the mailbox pinned: once that was renamed away or deleted (a
// mailbox created with the name since has another UIDVALIDITY), they
// change nothing and return ErrMailboxChanged. A write checks this in the
// transaction that writes, under the mutex that also orders renames and
// deletions, so none can fall between the check and the write; a read
// (OpenMessage) checks it in the transaction it reads from. The UIDs of
// one mailbox never address the messages of another.
type Pinned struct {
	s   *Store
	ref boxRef
}

// boxRef names the mailbox an operation addresses: the mailbox of name,
// which must have uidValidity if pinned is set.
type boxRef struct {
	name        string
	pinned      bool
	uidValidity uint32
}

// Pin returns the mailbox name as long as it has uidValidity.
func (s *Store) Pin(name string, uidValidity uint32) Pinned {
	return Pinned{s: s, ref: boxRef{name: name, pinned: true, uidValidity: uidValidity}}
}

// canon returns ref with its name canonical.
func (ref boxRef) canon() (boxRef, error) {
	name, err := canonName(ref.name)
	ref.name = name
	return ref, err
}

// check returns err, the outcome of loading rec, the mailbox of ref.name;
// or ErrMailboxChanged if ref is pinned and rec is not the mailbox it pins.
func (ref boxRef) check(rec *mailboxRec, err error) error {
	if !ref.pinned {
		return err
	}
	switch {
	case errors.Is(err, ErrNoMailbox):
		return fmt.Errorf("mailbox %q: %w", ref.name, ErrMailboxChanged)
	case err != nil:
		return err
	case rec.UIDValidity != ref.uidValidity:
		return fmt.Errorf("mailbox %q has UIDVALIDITY %d, not %d: %w", ref.name, rec.UIDValidity, ref.uidValidity, ErrMailboxChanged)
	}
	return nil
}

// mailboxAt loads the record of the mailbox ref addresses for update.
func (b *batch) mailboxAt(ref boxRef) (*mailboxRec, error) {
	rec, err := b.mailbox(ref.name)
	if err := ref.check(rec, err); err != nil {
		return nil, err
	}
	return rec, nil
}

// Check returns nil while the name belongs to the mailbox pinned, and
// ErrMailboxChanged once it does not. As no UIDVALIDITY is given out
// twice, a read of the mailbox by name that a passing Check follows was
// of the mailbox pinned, unless that was renamed away and back meanwhile.
func (p Pinned) Check() error {
	s := p.s
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	err := s.db.View(func(txn *badger.Txn) error {
		rec, err := lookup(txn, p.ref.name)
		return p.ref.check(&rec, err)
	})
	if err != nil {
		return fmt.Errorf("check mailbox: %w", err)
	}
	return nil
}

// StoreFlags changes the flags of the given messages (UIDs that do not
// exist are skipped) and returns the updated messages in UID order. Each
// changed message gets a new MODSEQ; unchanged ones are returned as they are.
func (s *Store) StoreFlags(mailbox string, uids []uint32, op FlagOp, flags []string) ([]Message, error) {
	updated, _, err := s.storeFlags(boxRef{name: mailbox}, uids, op, flags, nil)
	return updated, err
}

// StoreFlags is Store.StoreFlags of the mailbox pinned.
func (p Pinned) StoreFlags(uids []uint32, op FlagOp, flags []string) ([]Message, error) {
	updated, _, err := p.s.storeFlags(p.ref, uids, op, flags, nil)
	return updated, err
}

// StoreFlagsUnchangedSince is StoreFlags for the messages whose MODSEQ is
// at most modSeq; the others are left alone and returned in modified, in
// UID order (IMAP's conditional STORE, RFC 7162 3.1.3). The test and the
// change are one transaction.
func (s *Store) StoreFlagsUnchangedSince(mailbox string, uids []uint32, op FlagOp, flags []string, modSeq uint64) (updated []Message, modified []uint32, err error) {
	return s.storeFlags(boxRef{name: mailbox}, uids, op, flags, &modSeq)
}

// StoreFlagsUnchangedSince is Store.StoreFlagsUnchangedSince of the
// mailbox pinned.
func (p Pinned) StoreFlagsUnchangedSince(uids []uint32, op FlagOp, flags []string, modSeq uint64) (updated []Message, modified []uint32, err error) {
	return p.s.storeFlags(p.ref, uids, op, flags, &modSeq)
}

func (s *Store) storeFlags(ref boxRef, uids []uint32, op FlagOp, flags []string, unchangedSince *uint64) ([]Message, []uint32, error) {
	if err := s.enter(); err != nil {
		return nil, nil, err
	}
	defer s.leave()
	ref, err := ref.canon()
	if err != nil {
		return nil, nil, fmt.Errorf("store flags: %w", err)
	}
	name := ref.name
	if flags, err = canonFlags(flags); err != nil {
		return nil, nil, fmt.Errorf("store flags in %q: %w", name, err)
	}
	if op < FlagsAdd || op > FlagsReplace {
		return nil, nil, fmt.Errorf("store flags in %q: unknown operation %d", name, op)
	}
	var out []Message
	var modified []uint32
	// A change of a few messages (a Sent copy marked delivered) shares a
	// commit with concurrent small writes; a larger one commits alone.
	err = s.update(len(uids) <= maxGroupUIDs, 0, func(b *batch) error {
		out, modified = nil, nil
		rec, err := b.mailboxAt(ref)
		if err != nil {
			return fmt.Errorf("store flags: %w", err)
		}
		for _, uid := range normalUIDs(uids) {
			m, err := b.setFlags(rec, uid, op, flags, unchangedSince)
			switch {
			case errors.Is(err, ErrNotFound):
				continue
			case errors.Is(err, errModified):
				modified = append(modified, uid)
				continue
			case err != nil:
				return fmt.Errorf("store flags in %q: %w", name, err)
			}
			out = append(out, m.public())
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, modified, nil
}

// errModified is setFlags' answer for a message changed since the
// mod-sequence a conditional store gave.
var errModified = errors.New("changed since the given mod-sequence")

// setFlags updates the flags of one message if they change.
// With unchangedSince set, a message whose MODSEQ is above it is left
// alone and errModified returned.
func (b *batch) setFlags(rec *mailboxRec, uid uint32, op FlagOp, flags []string, unchangedSince *uint64) (messageRec, error) {
	m, err := loadMessage(b.txn, rec.id, uid)
	if err != nil {
		return m, err
	}
	if unchangedSince != nil && m.ModSeq > *unchangedSince {
		return m, errModified
	}
	next := applyFlags(m.Flags, op, flags)
	if len(next) > maxMessageFlags {
		return m, fmt.Errorf("message %d: %w: more than %d flags", uid, ErrBadFlag, maxMessageFlags)
	}
	if slices.Equal(next, m.Flags) {
		return m, nil
	}
	wasSeen := m.seen()
	m.Flags = next
	rec.ModSeq++
	m.ModSeq = rec.ModSeq
	switch {
	case wasSeen && !m.seen():
		rec.Unseen++
	case !wasSeen && m.seen():
		rec.Unseen--
	}
	if err := b.set(messageKey(rec.id, uid), m.encode()); err != nil {
		return m, fmt.Errorf("write message %d: %w", uid, err)
	}
	b.note(rec, FlagsChanged, &m)
	return m, nil
}

// Expunge removes messages flagged \Deleted from mailbox: among the given
// UIDs if uids is non-nil (IMAP UID EXPUNGE), otherwise all of them. It
// returns the expunged UIDs in ascending order.
func (s *Store) Expunge(mailbox string, uids []uint32) ([]uint32, error) {
	return s.expunge(boxRef{name: mailbox}, uids)
}

// Expunge is Store.Expunge of the mailbox pinned.
func (p Pinned) Expunge(uids []uint32) ([]uint32, error) {
	return p.s.expunge(p.ref, uids)
}

func (s *Store) expunge(ref boxRef, uids []uint32) ([]uint32, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	ref, err := ref.canon()
	if err != nil {
		return nil, fmt.Errorf("expunge: %w", err)
	}
	name := ref.name
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer s.finish(b)
	rec, err := b.mailboxAt(ref)
	if err != nil {
		return nil, fmt.Errorf("expunge: %w", err)
	}
	msgs, err := s.selectMessages(b, rec, uids)
	if err != nil {
		return nil, fmt.Errorf("expunge %q: %w", name, err)
	}
	var gone []uint32
	for i := range msgs {
		if !hasFlag(msgs[i].Flags, FlagDeleted) {
			continue
		}
		if err := b.remove(rec, &msgs[i]); err != nil {
			return nil, fmt.Errorf("expunge %q: %w", name, err)
		}
		gone = append(gone, msgs[i].uid)
	}
	if err := b.commit(); err != nil {
		return nil, fmt.Errorf("expunge %q: %w", name, err)
	}
	return gone, nil
}

// selectMessages loads the given messages of rec in UID order, skipping
// those that do not exist; nil uids means all.
func (s *Store) selectMessages(b *batch, rec *mailboxRec, uids []uint32) ([]messageRec, error) {
	if uids == nil {
		return s.listMessages(rec.id)
	}
	var out []messageRec
	for _, uid := range normalUIDs(uids) {
		m, err := loadMessage(b.txn, rec.id, uid)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Copy copies the given messages (UIDs that do not exist are skipped) to
// dst with their flags and internal dates, and returns the source UIDs and
// the new destination UIDs in matching order (for COPYUID). The bodies are
// shared, not duplicated. An expunged message a retaining watcher still
// holds is copied too (RFC 2180 4.4.2: its clients have not been told yet).
func (s *Store) Copy(src string, uids []uint32, dst string) (srcUIDs, dstUIDs []uint32, err error) {
	return s.transferAll("copy", boxRef{name: src}, uids, dst, false)
}

// Copy is Store.Copy from the mailbox pinned; dst is any mailbox of that
// name.
func (p Pinned) Copy(uids []uint32, dst string) (srcUIDs, dstUIDs []uint32, err error) {
	return p.s.transferAll("copy", p.ref, uids, dst, false)
}

// Move is Copy followed by removal from src. Each message is added to dst
// and removed from src in the same transaction, so a crash can leave a
// message in both mailboxes, never in neither. A retained expunged message
// is copied only: it is gone from src already.
func (s *Store) Move(src string, uids []uint32, dst string) (srcUIDs, dstUIDs []uint32, err error) {
	return s.transferAll("move", boxRef{name: src}, uids, dst, true)
}

// Move is Store.Move from the mailbox pinned; dst is any mailbox of that
// name.
func (p Pinned) Move(uids []uint32, dst string) (srcUIDs, dstUIDs []uint32, err error) {
	return p.s.transferAll("move", p.ref, uids, dst, true)
}

func (s *Store) transferAll(op string, src boxRef, uids []uint32, dst string, move bool) (srcUIDs, dstUIDs []uint32, err error) {
	if err := s.enter(); err != nil {
		return nil, nil, err
	}
	defer s.leave()
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer s.finish(b)
	from, to, err := b.pair(src, dst)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(uids) == 0 {
		return nil, nil, nil
	}
	msgs, expunged, err := s.selectForTransfer(b, from, uids)
	if err != nil {
		return nil, nil, fmt.Errorf("%s from %q: %w", op, from.Name, err)
	}
	for i := range msgs {
		if b.ops+4 >= maxBatchOps { // keep one message's writes together
			if err := b.rollover(); err != nil {
				return nil, nil, fmt.Errorf("%s to %q: %w", op, to.Name, err)
			}
		}
		uid, err := b.transfer(from, &msgs[i], to, move && !expunged[msgs[i].uid])
		if err != nil {
			return nil, nil, fmt.Errorf("%s to %q: %w", op, to.Name, err)
		}
		srcUIDs, dstUIDs = append(srcUIDs, msgs[i].uid), append(dstUIDs, uid)
	}
	if err := b.commit(); err != nil {
		return nil, nil, fmt.Errorf("%s to %q: %w", op, to.Name, err)
	}
	return srcUIDs, dstUIDs, nil
}

// selectForTransfer loads the given messages of rec in UID order, and the
// retained records of those expunged (reported in expunged); UIDs that are
// neither are skipped.
func (s *Store) selectForTransfer(b *batch, rec *mailboxRec, uids []uint32) (msgs []messageRec, expunged map[uint32]bool, err error) {
	expunged = map[uint32]bool{}
	for _, uid := range normalUIDs(uids) {
		m, gone, err := loadMessageOrExpunged(b.txn, rec.id, uid)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		msgs = append(msgs, m)
		if gone {
			expunged[uid] = true
		}
	}
	return msgs, expunged, nil
}

// pair canonicalises and loads a source and a destination mailbox.
func (b *batch) pair(src boxRef, dst string) (*mailboxRec, *mailboxRec, error) {
	src, err := src.canon()
	if err != nil {
		return nil, nil, err
	}
	dn, err := canonName(dst)
	if err != nil {
		return nil, nil, err
	}
	from, err := b.mailboxAt(src)
	if err != nil {
		return nil, nil, err
	}
	to, err := b.mailbox(dn)
	return from, to, err
}

package mailbox

import (
	"errors"
	"fmt"
	"slices"
)

// StoreFlags changes the flags of the given messages (UIDs that do not
// exist are skipped) and returns the updated messages in UID order. Each
// changed message gets a new MODSEQ; unchanged ones are returned as they are.
func (s *Store) StoreFlags(mailbox string, uids []uint32, op FlagOp, flags []string) ([]Message, error) {
	updated, _, err := s.storeFlags(mailbox, uids, op, flags, nil)
	return updated, err
}

// StoreFlagsUnchangedSince is StoreFlags for the messages whose MODSEQ is
// at most modSeq; the others are left alone and returned in modified, in
// UID order (IMAP's conditional STORE, RFC 7162 3.1.3). The test and the
// change are one transaction.
func (s *Store) StoreFlagsUnchangedSince(mailbox string, uids []uint32, op FlagOp, flags []string, modSeq uint64) (updated []Message, modified []uint32, err error) {
	return s.storeFlags(mailbox, uids, op, flags, &modSeq)
}

func (s *Store) storeFlags(mailbox string, uids []uint32, op FlagOp, flags []string, unchangedSince *uint64) ([]Message, []uint32, error) {
	if err := s.enter(); err != nil {
		return nil, nil, err
	}
	defer s.leave()
	name, err := canonName(mailbox)
	if err != nil {
		return nil, nil, fmt.Errorf("store flags: %w", err)
	}
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
		rec, err := b.mailbox(name)
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
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	name, err := canonName(mailbox)
	if err != nil {
		return nil, fmt.Errorf("expunge: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer s.finish(b)
	rec, err := b.mailbox(name)
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
	return s.transferAll("copy", src, uids, dst, false)
}

// Move is Copy followed by removal from src. Each message is added to dst
// and removed from src in the same transaction, so a crash can leave a
// message in both mailboxes, never in neither. A retained expunged message
// is copied only: it is gone from src already.
func (s *Store) Move(src string, uids []uint32, dst string) (srcUIDs, dstUIDs []uint32, err error) {
	return s.transferAll("move", src, uids, dst, true)
}

func (s *Store) transferAll(op, src string, uids []uint32, dst string, move bool) (srcUIDs, dstUIDs []uint32, err error) {
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
func (b *batch) pair(src, dst string) (*mailboxRec, *mailboxRec, error) {
	sn, err := canonName(src)
	if err != nil {
		return nil, nil, err
	}
	dn, err := canonName(dst)
	if err != nil {
		return nil, nil, err
	}
	from, err := b.mailbox(sn)
	if err != nil {
		return nil, nil, err
	}
	to, err := b.mailbox(dn)
	return from, to, err
}

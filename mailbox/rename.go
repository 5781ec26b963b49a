package mailbox

import (
	"errors"
	"fmt"
)

// DeleteMailbox deletes name and all its messages. Mailboxes below it in the
// hierarchy are kept, and so is the subscription of name (RFC 3501 6.3.9:
// a server must not remove a name from the subscriptions when its mailbox
// goes). INBOX cannot be deleted (ErrInboxDelete). Watchers of the mailbox
// are closed with Err() == ErrNoMailbox.
//
// The name and record go first, in one transaction; the messages follow in
// further transactions. Open finishes the job if a crash interrupts it.
func (s *Store) DeleteMailbox(name string) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	cname, err := canonName(name)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if cname == Inbox {
		return fmt.Errorf("delete: %w", ErrInboxDelete)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer s.finish(b)
	rec, err := b.mailbox(cname)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	b.forget(rec)
	if err := b.del(nameKey(cname)); err != nil {
		return fmt.Errorf("delete mailbox %q: %w", cname, err)
	}
	if err := b.del(mailboxKey(rec.id)); err != nil {
		return fmt.Errorf("delete mailbox %q: %w", cname, err)
	}
	if err := b.commit(); err != nil {
		return fmt.Errorf("delete mailbox %q: %w", cname, err)
	}
	s.watch.endMailbox(rec.id, ErrNoMailbox)
	if err := s.purge(b, rec.id); err != nil {
		return fmt.Errorf("delete messages of %q: %w", cname, err)
	}
	return nil
}

// purge deletes every message record of mailbox id, including records
// that cannot be decoded and retained ones, and releases their bodies. The
// batch must have no uncommitted writes; purge commits.
func (s *Store) purge(b *batch, id uint32) error {
	keys, err := s.keysWithPrefix(messagePrefix(id))
	if err != nil {
		return err
	}
	msgs, err := s.listMessages(id)
	if err != nil {
		return err
	}
	blobs := make(map[uint32]blobID, len(msgs))
	for _, m := range msgs {
		blobs[m.uid] = m.Blob
	}
	b.txn.Discard()
	b.txn = s.db.NewTransaction(true)
	for _, k := range keys {
		if err := b.purgeOne(k, blobs); err != nil {
			return err
		}
	}
	if err := b.commit(); err != nil {
		return err
	}
	return s.sweepExpunged(expungedPrefix(id))
}

func (b *batch) purgeOne(key []byte, blobs map[uint32]blobID) error {
	if err := b.del(key); err != nil {
		return err
	}
	uid, ok := uidFromKey(key)
	if blob, known := blobs[uid]; ok && known {
		return b.dropRef(blob)
	}
	return nil
}

// RenameMailbox renames oldName and every mailbox below it. The messages,
// UIDs, UIDVALIDITY and the subscriptions of the hierarchy move with it;
// watchers keep watching it. Missing parents of newName are created.
// Renaming INBOX moves all its messages into a new mailbox newName, which
// may be below INBOX, and leaves INBOX empty and subscribed as it was
// (RFC 9051 6.3.6).
func (s *Store) RenameMailbox(oldName, newName string) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	from, err := canonName(oldName)
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	to, err := canonName(newName)
	if err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	// A name onto itself is left to renameTree: ErrNoMailbox or ErrExists.
	if to == Inbox || (from != Inbox && to != from && isWithin(to, from)) {
		return fmt.Errorf("rename %q to %q: %w", from, to, ErrBadName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer s.finish(b)
	if from == Inbox {
		err = s.renameInbox(b, to)
	} else {
		err = s.renameTree(b, from, to)
	}
	if err != nil {
		return fmt.Errorf("rename %q to %q: %w", from, to, err)
	}
	return b.commit()
}

// renameTree renames from and the mailboxes below it.
func (s *Store) renameTree(b *batch, from, to string) error {
	if _, err := b.mailbox(from); err != nil {
		return err
	}
	all, err := s.allMailboxes()
	if err != nil {
		return err
	}
	for _, r := range all {
		if !isWithin(r.Name, from) {
			continue
		}
		if err := b.renameOne(r.Name, to+r.Name[len(from):]); err != nil {
			return err
		}
	}
	if err := s.moveSubscriptions(b, from, to); err != nil {
		return err
	}
	return b.createParents(to)
}

func (b *batch) renameOne(from, to string) error {
	if _, err := b.mailbox(to); err == nil {
		return fmt.Errorf("mailbox %q: %w", to, ErrExists)
	} else if !errors.Is(err, ErrNoMailbox) {
		return err
	}
	rec, err := b.mailbox(from)
	if err != nil {
		return err
	}
	if err := b.del(nameKey(from)); err != nil {
		return err
	}
	rec.Name = to
	return b.set(nameKey(to), be32(rec.id))
}

// renameInbox moves every message of INBOX into the new mailbox to.
func (s *Store) renameInbox(b *batch, to string) error {
	if err := b.createParents(to); err != nil {
		return err
	}
	dst, err := b.create(to, "")
	if err != nil {
		return err
	}
	src, err := b.mailbox(Inbox)
	if err != nil {
		return err
	}
	msgs, err := s.listMessages(src.id)
	if err != nil {
		return err
	}
	for i := range msgs {
		if _, err := b.transfer(src, &msgs[i], dst, true); err != nil {
			return err
		}
	}
	return nil
}

package mailbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Append stores body as a new message in mailbox. It returns once the body
// and the index entry are durable. With opts.EnvelopeID set to an id already
// delivered, it stores nothing and returns duplicate == true (the reader is
// then not read) together with the message stored under that id if it is
// still in this mailbox, or a zero Message (UID 0) if it was expunged, moved
// away or stored in another mailbox. A body larger than
// Options.MaxMessageSize gives ErrTooLarge.
func (s *Store) Append(mailbox string, body io.Reader, opts AppendOptions) (m Message, duplicate bool, err error) {
	if err := s.enter(); err != nil {
		return Message{}, false, err
	}
	defer s.leave()
	name, err := canonName(mailbox)
	if err != nil {
		return Message{}, false, fmt.Errorf("append: %w", err)
	}
	flags, err := canonFlags(opts.Flags)
	if err != nil {
		return Message{}, false, fmt.Errorf("append to %q: %w", name, err)
	}
	if !opts.Date.IsZero() && (opts.Date.Year() < 1900 || opts.Date.Year() > 2200) {
		return Message{}, false, fmt.Errorf("append to %q: internal date %v out of range", name, opts.Date)
	}
	if prior, dup, err := s.precheckAppend(name, opts.EnvelopeID); err != nil || dup {
		return prior.public(), dup, err
	}
	p, err := s.takeBody(body, s.opts.MaxMessageSize)
	if err != nil {
		return Message{}, false, fmt.Errorf("append to %q: %w", name, err)
	}
	rec := messageRec{Flags: flags, Size: p.Size, Date: opts.Date, Blob: p.ID}
	if rec.Date.IsZero() {
		rec.Date = time.Now().Round(0) // the node's local zone, as a mail client's day is
	}
	rec.Date = inZone(rec.Date)
	rec, dup, err := s.commitAppend(name, rec, p, opts.EnvelopeID)
	if err != nil || dup {
		s.drop(p)
	}
	if err != nil {
		return Message{}, false, fmt.Errorf("append to %q: %w", name, err)
	}
	return rec.public(), dup, nil
}

// deliveredMessage returns whether envID was delivered and, if so, the
// message it was stored as when that message is still in mailbox id
// (otherwise a zero record).
func deliveredMessage(txn *badger.Txn, id uint32, envID *[16]byte) (messageRec, bool, error) {
	if envID == nil {
		return messageRec{}, false, nil
	}
	val, err := getValue(txn, deliveredKey(*envID))
	if errors.Is(err, ErrNotFound) {
		return messageRec{}, false, nil
	}
	if err != nil {
		return messageRec{}, false, fmt.Errorf("check envelope %x: %w", *envID, err)
	}
	if len(val) != 8 || binary.BigEndian.Uint32(val[:4]) != id {
		return messageRec{}, true, nil // an older marker, or another mailbox
	}
	m, err := loadMessage(txn, id, binary.BigEndian.Uint32(val[4:]))
	if errors.Is(err, ErrNotFound) {
		return messageRec{}, true, nil // expunged or moved away since
	}
	return m, true, err
}

// precheckAppend fails fast, before a body is read, if the mailbox is
// missing or the envelope was delivered already.
func (s *Store) precheckAppend(name string, envID *[16]byte) (prior messageRec, dup bool, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		id, err := lookupID(txn, name)
		if err != nil {
			return err
		}
		prior, dup, err = deliveredMessage(txn, id, envID)
		return err
	})
	if err != nil {
		return messageRec{}, false, fmt.Errorf("append: %w", err)
	}
	return prior, dup, nil
}

// commitAppend writes the index entry, the blob reference, the envelope id
// and a small body in one transaction, shared with concurrent small writes.
// A missing mailbox and an envelope id delivered already (also by an
// append earlier in the same group: the transaction reads its own writes)
// are found before anything is written, so they fail or answer alone.
func (s *Store) commitAppend(name string, in messageRec, p pendingBody, envID *[16]byte) (m messageRec, dup bool, err error) {
	err = s.update(true, int64(len(p.Small)), func(b *batch) error {
		m, dup = in, false
		rec, err := b.mailbox(name)
		if err != nil {
			return err
		}
		if prior, found, err := deliveredMessage(b.txn, rec.id, envID); err != nil || found {
			m, dup = prior, found
			return err
		}
		if err := b.store(p); err != nil {
			return err
		}
		if m, err = b.add(rec, in); err != nil {
			return err
		}
		if envID != nil {
			val := append(be32(rec.id), be32(m.uid)...)
			e := badger.NewEntry(deliveredKey(*envID), val).WithTTL(DeliveredTTL)
			if err := b.setEntry(e); err != nil {
				return fmt.Errorf("record envelope %x: %w", *envID, err)
			}
		}
		return nil
	})
	return m, dup, err
}

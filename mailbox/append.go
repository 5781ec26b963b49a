package mailbox

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Append stores body as a new message in mailbox. It returns once the body
// and the index entry are durable. With opts.EnvelopeID set to an id already
// delivered, it stores nothing and returns duplicate == true (the reader is
// then not read). A body larger than Options.MaxMessageSize gives
// ErrTooLarge.
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
	if dup, err := s.precheckAppend(name, opts.EnvelopeID); err != nil || dup {
		return Message{}, dup, err
	}
	p, err := s.takeBody(body, s.opts.MaxMessageSize)
	if err != nil {
		return Message{}, false, fmt.Errorf("append to %q: %w", name, err)
	}
	rec := messageRec{Flags: flags, Size: p.size, Date: opts.Date, Blob: p.id}
	if rec.Date.IsZero() {
		rec.Date = time.Now()
	}
	rec.Date = rec.Date.UTC()
	rec, dup, err := s.commitAppend(name, rec, p, opts.EnvelopeID)
	if err != nil || dup {
		s.drop(p)
	}
	if err != nil {
		return Message{}, false, fmt.Errorf("append to %q: %w", name, err)
	}
	return rec.public(), dup, nil
}

// precheckAppend fails fast, before a body is read, if the mailbox is
// missing or the envelope was delivered already.
func (s *Store) precheckAppend(name string, envID *[16]byte) (dup bool, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		if _, err := lookupID(txn, name); err != nil {
			return err
		}
		dup, err = delivered(txn, envID)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("append: %w", err)
	}
	return dup, nil
}

func delivered(txn *badger.Txn, envID *[16]byte) (bool, error) {
	if envID == nil {
		return false, nil
	}
	_, err := txn.Get(deliveredKey(*envID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check envelope %x: %w", *envID, err)
	}
	return true, nil
}

// commitAppend writes the index entry, the blob reference, the envelope id
// and a small body in one transaction.
func (s *Store) commitAppend(name string, m messageRec, p pendingBody, envID *[16]byte) (messageRec, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer s.finish(b)
	if dup, err := delivered(b.txn, envID); err != nil || dup {
		return m, dup, err
	}
	rec, err := b.mailbox(name)
	if err != nil {
		return m, false, err
	}
	if err := b.store(p); err != nil {
		return m, false, err
	}
	m, err = b.add(rec, m)
	if err != nil {
		return m, false, err
	}
	if envID != nil {
		val := append(be32(rec.id), be32(m.uid)...)
		e := badger.NewEntry(deliveredKey(*envID), val).WithTTL(DeliveredTTL)
		if err := b.setEntry(e); err != nil {
			return m, false, fmt.Errorf("record envelope %x: %w", *envID, err)
		}
	}
	return m, false, b.commit()
}

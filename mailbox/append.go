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
	a, err := s.AppendUID(mailbox, body, opts)
	return a.Message, a.Duplicate, err
}

// Appended is what AppendUID stored, or found stored already.
type Appended struct {
	Message // the message; for a duplicate the earlier one, or UID 0
	// UIDValidity is that of the mailbox the message is in, read in the
	// transaction that stored or found it: with UID, what IMAP's APPENDUID
	// names, whatever was renamed or created under the name since.
	UIDValidity uint32
	Duplicate   bool
}

// AppendUID is Append, and also says which mailbox of the name the
// message went to.
func (s *Store) AppendUID(mailbox string, body io.Reader, opts AppendOptions) (Appended, error) {
	if err := s.enter(); err != nil {
		return Appended{}, err
	}
	defer s.leave()
	name, err := canonName(mailbox)
	if err != nil {
		return Appended{}, fmt.Errorf("append: %w", err)
	}
	flags, err := checkAppend(opts)
	if err != nil {
		return Appended{}, fmt.Errorf("append to %q: %w", name, err)
	}
	if prior, err := s.precheckAppend(name, opts.EnvelopeID); err != nil || prior.Duplicate {
		return prior, err
	}
	p, err := s.takeBody(body, s.opts.MaxMessageSize)
	if err != nil {
		return Appended{}, fmt.Errorf("append to %q: %w", name, err)
	}
	a, err := s.commitAppend(name, newMessageRec(flags, opts.Date, p), p, opts.EnvelopeID)
	if err != nil || a.Duplicate {
		s.drop(p)
	}
	if err != nil {
		return Appended{}, fmt.Errorf("append to %q: %w", name, err)
	}
	return a, nil
}

// checkAppend checks the flags and internal date of opts and returns the
// flags in canonical form.
func checkAppend(opts AppendOptions) ([]string, error) {
	flags, err := canonFlags(opts.Flags)
	if err != nil {
		return nil, err
	}
	if !opts.Date.IsZero() && (opts.Date.Year() < 1900 || opts.Date.Year() > 2200) {
		return nil, fmt.Errorf("internal date %v out of range", opts.Date)
	}
	return flags, nil
}

// newMessageRec is the record of a new message with body p; a zero date
// means now.
func newMessageRec(flags []string, date time.Time, p pendingBody) messageRec {
	if date.IsZero() {
		date = time.Now().Round(0) // the node's local zone, as a mail client's day is
	}
	return messageRec{Flags: flags, Size: p.Size, Date: inZone(date), Blob: p.ID}
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
// missing or the envelope was delivered already (then Duplicate is set).
func (s *Store) precheckAppend(name string, envID *[16]byte) (prior Appended, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		rec, err := lookup(txn, name)
		if err != nil {
			return err
		}
		m, dup, err := deliveredMessage(txn, rec.id, envID)
		prior = Appended{Message: m.public(), UIDValidity: rec.UIDValidity, Duplicate: dup}
		return err
	})
	if err != nil {
		return Appended{}, fmt.Errorf("append: %w", err)
	}
	return prior, nil
}

// commitAppend writes the index entry, the blob reference, the envelope id
// and a small body in one transaction, shared with concurrent small writes.
// A missing mailbox and an envelope id delivered already (also by an
// append earlier in the same group: the transaction reads its own writes)
// are found before anything is written, so they fail or answer alone.
func (s *Store) commitAppend(name string, in messageRec, p pendingBody, envID *[16]byte) (a Appended, err error) {
	err = s.update(true, int64(len(p.Small)), func(b *batch) error {
		a = Appended{}
		rec, err := b.mailbox(name)
		if err != nil {
			return err
		}
		a.UIDValidity = rec.UIDValidity
		if prior, found, err := deliveredMessage(b.txn, rec.id, envID); err != nil || found {
			a.Message, a.Duplicate = prior.public(), found
			return err
		}
		if err := b.store(p); err != nil {
			return err
		}
		m, err := b.addDelivered(rec, in, envID)
		a.Message = m.public()
		return err
	})
	return a, err
}

// addDelivered adds m to rec (add) and records it under envID, if set.
func (b *batch) addDelivered(rec *mailboxRec, m messageRec, envID *[16]byte) (messageRec, error) {
	m, err := b.add(rec, m)
	if err != nil || envID == nil {
		return m, err
	}
	val := append(be32(rec.id), be32(m.uid)...)
	e := badger.NewEntry(deliveredKey(*envID), val).WithTTL(DeliveredTTL)
	if err := b.setEntry(e); err != nil {
		return m, fmt.Errorf("record envelope %x: %w", *envID, err)
	}
	return m, nil
}

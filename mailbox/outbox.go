package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/yggpost/yggpost/envelope"
)

// Outbound describes one message waiting for delivery to one recipient.
// The outbox keeps the message as submitted; it is sealed for the
// recipient as it is sent.
type Outbound struct {
	ID          envelope.ID      // the envelope id it is sent under
	Recipient   envelope.Address // the recipient
	Size        int64            // body size; set by Enqueue
	Created     time.Time
	NextAttempt time.Time
	Attempts    int
	LastError   string

	// SentCopy is the de-duplication key (SentCopyKey) of the message's
	// copy in Sent, so that its outcome can be shown there; zero if none.
	SentCopy [16]byte
	// Custody, when set, is the time until which a relay holds the
	// envelope: delivery stops being attempted, and the message bounces at
	// that time unless the recipient's delivery receipt came first.
	Custody time.Time
	// Custodians names the relays holding it, for notices (free text).
	Custodians string
	// Notified is set once the sender was told delivery is delayed.
	Notified bool
	// MessageID is the message's Message-ID, "<…>", for telling the user
	// what became of it; "" for the node's own receipts, and for a value
	// longer than 4 KiB or not UTF-8 (it is then not kept).
	MessageID string
}

// Enqueue stores message, as the user submitted it, in the outbox as the
// row o; it is sealed for o.Recipient as it is sent (a classic Yggmail node
// gets it plain). It returns once the row is durable. The outbox is bounded by Options.MaxOutboxCount and
// MaxOutboxBytes (ErrOutboxFull); an id already queued gives ErrExists.
//
// One message is bounded by envelope.SealedSize(MaxMessageSize), the
// sealed size of the largest message (ErrTooLarge). The bound dates from
// when rows held sealed envelopes; a message as submitted is at most
// MaxMessageSize (the node spools a submission with that limit, and a
// recipient's copy only drops Bcc fields), so the bound is loose by the
// sealing overhead (about 84 KiB at DefaultMaxMessageSize) and refuses
// no message the node accepted.
//
// o.Size is ignored (the stored size is what message yields); a zero
// o.Created means now.
func (s *Store) Enqueue(o Outbound, message io.Reader) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	room, err := s.outboxRoom(o.ID)
	if err != nil {
		return fmt.Errorf("enqueue %x: %w", o.ID, err)
	}
	limit := envelope.SealedSize(s.opts.MaxMessageSize)
	p, err := s.takeBody(message, min(room, limit))
	if errors.Is(err, ErrTooLarge) && room < limit {
		err = fmt.Errorf("%w: %d bytes queued", ErrOutboxFull, s.opts.MaxOutboxBytes-room)
	}
	if err != nil {
		return fmt.Errorf("enqueue %x: %w", o.ID, err)
	}
	if err := s.commitOutbound(o.ID, newOutboundRec(o, p), p); err != nil {
		s.drop(p)
		return fmt.Errorf("enqueue %x: %w", o.ID, err)
	}
	return nil
}

// newOutboundRec is the record of the row o whose message is p; a zero
// o.Created means now.
func newOutboundRec(o Outbound, p pendingBody) outboundRec {
	if o.Created.IsZero() {
		o.Created = time.Now()
	}
	rec := outboundRec{Recipient: o.Recipient, Size: p.Size, Created: o.Created.UTC(),
		Next: o.NextAttempt.UTC(), Attempts: o.Attempts, LastError: o.LastError, Blob: p.ID,
		MessageID: keptMessageID(o.MessageID)}
	rec.setState(o)
	return rec
}

// outboxRoom checks the bounds before a body is read and returns the bytes
// still free.
func (s *Store) outboxRoom(id [16]byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outCount >= s.opts.MaxOutboxCount {
		return 0, fmt.Errorf("%w: %d envelopes queued", ErrOutboxFull, s.outCount)
	}
	if err := s.db.View(func(txn *badger.Txn) error { return absent(txn, id) }); err != nil {
		return 0, err
	}
	return s.opts.MaxOutboxBytes - s.outBytes, nil
}

func absent(txn *badger.Txn, id [16]byte) error {
	_, err := txn.Get(outboundKey(id))
	switch {
	case err == nil:
		return fmt.Errorf("outbound %x: %w", id, ErrExists)
	case errors.Is(err, badger.ErrKeyNotFound):
		return nil
	}
	return err
}

// commitOutbound re-checks the bounds (others may have enqueued meanwhile,
// also earlier in the same group commit: b.outCount) and writes the record
// and its blob reference in one transaction, shared with concurrent small
// writes. A full outbox and an id queued already are found before
// anything is written.
func (s *Store) commitOutbound(id [16]byte, rec outboundRec, p pendingBody) error {
	return s.update(true, int64(len(p.Small)), func(b *batch) error {
		count, bytes := s.outCount+b.outCount, s.outBytes+b.outBytes
		if count >= s.opts.MaxOutboxCount || bytes+rec.Size > s.opts.MaxOutboxBytes {
			return fmt.Errorf("%w: %d envelopes, %d bytes queued", ErrOutboxFull, count, bytes)
		}
		if err := absent(b.txn, id); err != nil {
			return err
		}
		if err := b.store(p); err != nil {
			return err
		}
		if err := b.queue(id, rec); err != nil {
			return err
		}
		return b.addRef(rec.Blob)
	})
}

// queue writes the row id and its Sent copy's index entry, and counts it
// in the outbox totals. The caller adds the reference to its blob.
func (b *batch) queue(id [16]byte, rec outboundRec) error {
	if err := b.set(outboundKey(id), rec.encode()); err != nil {
		return err
	}
	if rec.SentCopy != ([16]byte{}) {
		if err := b.set(sentRowKey(rec.SentCopy, id), nil); err != nil {
			return err
		}
	}
	b.outCount++
	b.outBytes += rec.Size
	return nil
}

// Outbox lists the outbox rows ordered by NextAttempt. A record that
// cannot be decoded is logged and left out.
func (s *Store) Outbox() ([]Outbound, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var out []Outbound
	err := s.eachOutbound(func(id [16]byte, r outboundRec) {
		out = append(out, r.public(id))
	})
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Outbound) int { return a.NextAttempt.Compare(b.NextAttempt) })
	return out, nil
}

func (s *Store) eachOutbound(fn func(id [16]byte, r outboundRec)) error {
	return s.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.Prefix = []byte{tagOutbound}
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			id, r, err := decodeOutboundItem(it.Item())
			if err != nil {
				s.log.Error("outbound record skipped", "key", fmt.Sprintf("%x", it.Item().Key()), "err", err)
				continue
			}
			fn(id, r)
		}
		return nil
	})
}

func decodeOutboundItem(item *badger.Item) ([16]byte, outboundRec, error) {
	var id [16]byte
	k := item.Key()
	if len(k) != 1+len(id) {
		return id, outboundRec{}, fmt.Errorf("%w: outbound key", ErrCorrupt)
	}
	copy(id[:], k[1:])
	var r outboundRec
	err := item.Value(func(v []byte) error {
		var err error
		r, err = decodeOutbound(v)
		return err
	})
	return id, r, err
}

func loadOutbound(txn *badger.Txn, id [16]byte) (outboundRec, error) {
	item, err := txn.Get(outboundKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return outboundRec{}, fmt.Errorf("outbound %x: %w", id, ErrNotFound)
	}
	if err != nil {
		return outboundRec{}, fmt.Errorf("read outbound %x: %w", id, err)
	}
	_, r, err := decodeOutboundItem(item)
	if err != nil {
		return r, fmt.Errorf("read outbound %x: %w", id, err)
	}
	return r, nil
}

// OpenOutbound streams the message of the row id, as it was submitted.
// The caller must Close it.
func (s *Store) OpenOutbound(id [16]byte) (io.ReadCloser, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	txn := s.db.NewTransaction(false)
	r, err := loadOutbound(txn, id)
	if err != nil {
		txn.Discard()
		return nil, fmt.Errorf("open outbound: %w", err)
	}
	return s.newBlobReader(txn, r.Blob, r.Size), nil
}

// UpdateOutbound records a failed delivery attempt of id.
func (s *Store) UpdateOutbound(id [16]byte, attempts int, next time.Time, lastErr string) error {
	if attempts < 0 {
		return fmt.Errorf("update outbound %x: negative attempts", id)
	}
	return s.changeOutbound(id, func(o *Outbound) {
		o.Attempts, o.NextAttempt, o.LastError = attempts, next, lastErr
	})
}

// SaveOutbound stores the state of o.ID as o has it: attempts, next
// attempt, last error, custody and notice. The recipient, size, creation
// time, Sent copy, Message-ID and message of a row never change.
func (s *Store) SaveOutbound(o Outbound) error {
	if o.Attempts < 0 {
		return fmt.Errorf("save outbound %x: negative attempts", o.ID)
	}
	return s.changeOutbound(o.ID, func(cur *Outbound) { *cur = o })
}

// changeOutbound applies change to the state of id in one transaction,
// shared with concurrent small writes.
func (s *Store) changeOutbound(id [16]byte, change func(*Outbound)) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.update(true, 0, func(b *batch) error {
		r, err := loadOutbound(b.txn, id)
		if err != nil {
			return fmt.Errorf("update: %w", err)
		}
		o := r.public(id)
		change(&o)
		o.SentCopy = r.SentCopy // fixed at Enqueue, like the recipient and body
		r.setState(o)
		if err := b.set(outboundKey(id), r.encode()); err != nil {
			return fmt.Errorf("update outbound %x: %w", id, err)
		}
		return nil
	})
}

// GetOutbound returns the outbox row id (ErrNotFound if there is none).
func (s *Store) GetOutbound(id [16]byte) (Outbound, error) {
	if err := s.enter(); err != nil {
		return Outbound{}, err
	}
	defer s.leave()
	var o Outbound
	err := s.db.View(func(txn *badger.Txn) error {
		r, err := loadOutbound(txn, id)
		o = r.public(id)
		return err
	})
	return o, err
}

// DeleteOutbound removes id from the outbox, once its delivery has been
// acknowledged. Deletes from concurrent callers share a commit.
func (s *Store) DeleteOutbound(id [16]byte) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.update(true, 0, func(b *batch) error {
		r, err := loadOutbound(b.txn, id)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		if err := b.del(outboundKey(id)); err != nil {
			return fmt.Errorf("delete outbound %x: %w", id, err)
		}
		if r.SentCopy != ([16]byte{}) {
			if err := b.del(sentRowKey(r.SentCopy, id)); err != nil {
				return fmt.Errorf("delete outbound %x: %w", id, err)
			}
		}
		if err := b.dropSizedRef(r.Blob, r.Size); err != nil {
			return fmt.Errorf("delete outbound %x: %w", id, err)
		}
		b.outCount--
		b.outBytes -= r.Size
		return nil
	})
}

// OthersShareSentCopy reports whether the outbox holds a row other than
// except whose Sent copy is sent: another recipient of the same
// message still waiting. It reads an index, not the whole outbox.
func (s *Store) OthersShareSentCopy(sent, except [16]byte) (bool, error) {
	if err := s.enter(); err != nil {
		return false, err
	}
	defer s.leave()
	found := false
	err := s.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.Prefix, o.PrefetchValues = keyOf(tagSentRow, sent[:]), false
		it := txn.NewIterator(o)
		defer it.Close()
		skip := sentRowKey(sent, except)
		for it.Rewind(); it.Valid() && !found; it.Next() {
			found = !bytes.Equal(it.Item().Key(), skip)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("look up rows of Sent copy %x: %w", sent, err)
	}
	return found, nil
}

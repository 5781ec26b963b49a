package relay

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// Publish stores a member's signed relay record, so the relay can answer
// for it (RecordOf). The record must verify at the relay's clock, belong
// to a member (ErrNotMember) and list this relay (ErrNotListed). A record
// whose Seq is not higher than the one stored is ignored: Publish returns
// nil and keeps the stored one. Unregister deletes the record.
func (r *Relay) Publish(rec Record) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	if err := rec.Verify(r.opts.Now()); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if !rec.Lists(r.self) {
		return fmt.Errorf("publish relay record of %s: %w", rec.Member, ErrNotListed)
	}
	b, err := rec.MarshalBinary()
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	err = r.db.Update(func(txn *badger.Txn) error {
		ok, err := r.isMember(txn, rec.Member)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotMember
		}
		old, found, err := r.storedRecord(txn, rec.Member)
		if errors.Is(err, ErrCorrupt) {
			r.log.Warn("replacing an undecodable relay record", "member", rec.Member.String(), "err", err)
		} else if err != nil {
			return err
		}
		if found && old.Seq >= rec.Seq {
			return nil
		}
		return txn.Set(recordKey(rec.Member), b)
	})
	if err != nil {
		return fmt.Errorf("publish relay record of %s: %w", rec.Member, err)
	}
	return nil
}

// RecordOf returns the relay record a member published, if the member is
// still a member and the record has not expired.
func (r *Relay) RecordOf(member envelope.Address) (Record, bool, error) {
	if err := r.enter(); err != nil {
		return Record{}, false, err
	}
	defer r.leave()
	var rec Record
	var found bool
	err := r.db.View(func(txn *badger.Txn) error {
		ok, err := r.isMember(txn, member)
		if err != nil || !ok {
			return err
		}
		rec, found, err = r.storedRecord(txn, member)
		return err
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("relay record of %s: %w", member, err)
	}
	if !found {
		return Record{}, false, nil
	}
	if err := rec.Verify(r.opts.Now()); err != nil {
		if errors.Is(err, ErrRecordExpired) {
			return Record{}, false, nil
		}
		return Record{}, false, fmt.Errorf("stored relay record: %w: %w", ErrCorrupt, err)
	}
	return rec, true, nil
}

// storedRecord reads the record of member; a record that does not decode
// is an error wrapping ErrCorrupt.
func (r *Relay) storedRecord(txn *badger.Txn, member envelope.Address) (Record, bool, error) {
	var rec Record
	item, err := txn.Get(recordKey(member))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return rec, false, err
	}
	if err := rec.UnmarshalBinary(v); err != nil || rec.Member != member {
		return Record{}, false, fmt.Errorf("decode stored relay record: %w", errors.Join(ErrCorrupt, err))
	}
	return rec, true, nil
}

// expireRecords deletes relay records past their expiry, and any that do
// not decode (r.mu held).
func (r *Relay) expireRecords() error {
	now := r.opts.Now()
	var old [][]byte
	err := r.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{tagRecord}, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			var rec Record
			if rec.UnmarshalBinary(v) != nil || !now.Before(rec.Expires) {
				old = append(old, it.Item().KeyCopy(nil))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list relay records: %w", err)
	}
	return r.deleteKeys(old)
}

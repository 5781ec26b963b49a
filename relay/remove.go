package relay

import (
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// Expired names an envelope the relay deleted without handing it over.
type Expired struct {
	Recipient envelope.Address
	ID        envelope.ID
	Size      int64
	blob      blobID
}

// Expire deletes every envelope held past its expiry time, every unused
// invite past its lifetime and every relay record past its expiry. It returns the envelopes deleted. The
// relay cannot tell their senders (it does not know them); a sender learns
// from the Expires of its custody receipt. The owner calls it periodically.
func (r *Relay) Expire() ([]Expired, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now().UnixNano()
	var victims []Expired
	err := r.eachHeld([]byte{tagHeld}, func(to envelope.Address, id envelope.ID, h heldRec) {
		if h.expires <= now {
			victims = append(victims, Expired{Recipient: to, ID: id, Size: h.size, blob: h.blob})
		}
	})
	if err == nil {
		err = r.removeLocked(victims)
	}
	if err == nil {
		err = r.expireInvites()
	}
	if err == nil {
		err = r.expireRecords()
	}
	if err != nil {
		return nil, fmt.Errorf("expire: %w", err)
	}
	r.counter.expired.Add(uint64(len(victims)))
	if len(victims) > 0 {
		r.log.Info("expired envelopes deleted", "count", len(victims))
	}
	return victims, nil
}

// removeLocked deletes the records of victims, then their chunks, and
// updates the usage (r.mu held). A victim whose record is already gone is
// skipped.
func (r *Relay) removeLocked(victims []Expired) error {
	for start := 0; start < len(victims); start += maxTxnOps {
		batch := victims[start:min(len(victims), start+maxTxnOps)]
		gone := make([]bool, len(batch))
		err := r.db.Update(func(txn *badger.Txn) error {
			for i, v := range batch {
				_, err := txn.Get(heldKey(v.Recipient, v.ID))
				if errors.Is(err, badger.ErrKeyNotFound) {
					continue
				}
				if err == nil {
					err = txn.Delete(heldKey(v.Recipient, v.ID))
				}
				if err != nil {
					return err
				}
				gone[i] = true
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("delete held records: %w", err)
		}
		r.afterRemove(batch, gone)
	}
	return nil
}

// afterRemove updates the usage and deletes the chunks of removed records.
func (r *Relay) afterRemove(batch []Expired, gone []bool) {
	for i, v := range batch {
		if !gone[i] {
			continue
		}
		r.release(v.Recipient, 1, v.Size)
		if err := r.deleteBlob(v.blob); err != nil {
			r.log.Warn("envelope chunks left for the next sweep", "err", err)
		}
	}
}

// expireInvites deletes invites past their lifetime (r.mu held).
func (r *Relay) expireInvites() error {
	cutoff := r.opts.Now().Add(-r.opts.InviteLifetime)
	var old [][]byte
	err := r.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{tagInvite}, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			t, err := decodeTime(v, "invite")
			if err != nil || !t.After(cutoff) {
				old = append(old, it.Item().KeyCopy(nil))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list invites: %w", err)
	}
	return r.deleteKeys(old)
}

// eachHeld calls fn for every held record under prefix; records that do not
// decode are logged and skipped.
func (r *Relay) eachHeld(prefix []byte, fn func(envelope.Address, envelope.ID, heldRec)) error {
	return r.db.View(func(txn *badger.Txn) error { return r.eachHeldTxn(txn, prefix, fn) })
}

// eachHeldTxn is eachHeld inside txn.
func (r *Relay) eachHeldTxn(txn *badger.Txn, prefix []byte, fn func(envelope.Address, envelope.ID, heldRec)) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		to, id, ok := splitHeldKey(it.Item().Key())
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			return err
		}
		h, derr := decodeHeld(v)
		if !ok || derr != nil {
			r.log.Warn("skipping undecodable held record", "key", fmt.Sprintf("%x", it.Item().Key()), "err", derr)
			continue
		}
		fn(to, id, h)
	}
	return nil
}

// timeOf converts a stored unix-nanosecond time.
func timeOf(ns int64) time.Time { return time.Unix(0, ns) }

package relay

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// Held describes one envelope held for a member.
type Held struct {
	ID       envelope.ID
	Size     int64
	Received time.Time
	Expires  time.Time
}

// Pending lists the envelopes held for member, oldest first. The caller
// (a hand-over session of an authenticated member) streams each with Open
// and Acks it once the member has stored it.
func (r *Relay) Pending(member envelope.Address) ([]Held, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	var out []Held
	err := r.eachHeld(heldPrefix(member), func(_ envelope.Address, id envelope.ID, h heldRec) {
		out = append(out, Held{ID: id, Size: h.size, Received: timeOf(h.received), Expires: timeOf(h.expires)})
	})
	if err != nil {
		return nil, fmt.Errorf("list pending for %s: %w", member, err)
	}
	slices.SortFunc(out, func(a, b Held) int {
		if c := a.Received.Compare(b.Received); c != 0 {
			return c
		}
		return cmp.Compare(string(a.ID[:]), string(b.ID[:]))
	})
	return out, nil
}

// Open streams the sealed bytes of an envelope held for member, exactly as
// deposited, and returns their size. The reader works on a snapshot: an Ack
// or Expire meanwhile does not cut it short. Close it when done.
func (r *Relay) Open(member envelope.Address, id envelope.ID) (io.ReadCloser, int64, error) {
	if err := r.enter(); err != nil {
		return nil, 0, err
	}
	defer r.leave()
	txn := r.db.NewTransaction(false)
	h, err := getHeld(txn, member, id)
	if err != nil {
		txn.Discard()
		if errors.Is(err, badger.ErrKeyNotFound) {
			err = ErrNotHeld
		}
		return nil, 0, fmt.Errorf("open envelope %s for %s: %w", id, member, err)
	}
	return r.blobs.NewReader(txn, h.blob, h.size), h.size, nil
}

// Ack deletes an envelope the member has stored durably. Acking an
// envelope that is not held (acked before, dropped, expired) fails with
// ErrNotHeld; a session may treat that as done.
func (r *Relay) Ack(member envelope.Address, id envelope.ID) error {
	n, err := r.remove(member, []envelope.ID{id})
	if err != nil {
		return fmt.Errorf("ack envelope %s for %s: %w", id, member, err)
	}
	if n == 0 {
		return fmt.Errorf("ack envelope %s for %s: %w", id, member, ErrNotHeld)
	}
	r.counter.handOvers.Add(1)
	return nil
}

// Drop deletes envelopes the member already has from elsewhere (another of
// its relays). Ids not held are ignored.
func (r *Relay) Drop(member envelope.Address, ids ...envelope.ID) error {
	n, err := r.remove(member, ids)
	if err != nil {
		return fmt.Errorf("drop %d envelopes for %s: %w", len(ids), member, err)
	}
	r.counter.dropped.Add(uint64(n))
	return nil
}

// remove deletes the given envelopes of member and returns how many were
// held.
func (r *Relay) remove(member envelope.Address, ids []envelope.ID) (int, error) {
	if err := r.enter(); err != nil {
		return 0, err
	}
	defer r.leave()
	r.mu.Lock()
	defer r.mu.Unlock()
	var victims []Expired
	err := r.db.View(func(txn *badger.Txn) error {
		for _, id := range ids {
			h, err := getHeld(txn, member, id)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			victims = append(victims, Expired{Recipient: member, ID: id, Size: h.size, blob: h.blob})
		}
		return nil
	})
	if err == nil {
		err = r.removeLocked(victims)
	}
	return len(victims), err
}

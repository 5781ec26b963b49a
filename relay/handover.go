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

// Held describes one envelope held for a member, or for forwarding.
type Held struct {
	To       envelope.Address // the recipient
	ID       envelope.ID
	Size     int64
	Received time.Time
	Expires  time.Time
}

// Pending lists the envelopes held for member, oldest first, including any
// held for forwarding to it before it became a member. The caller (a
// hand-over session of an authenticated member) streams each with Open and
// Acks it once the member has stored it.
func (r *Relay) Pending(member envelope.Address) ([]Held, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	var out []Held
	err := r.eachHeld(heldPrefix(member), func(to envelope.Address, id envelope.ID, h heldRec) {
		out = append(out, heldOf(to, id, h))
	})
	if err != nil {
		return nil, fmt.Errorf("list pending for %s: %w", member, err)
	}
	sortHeld(out)
	return out, nil
}

func heldOf(to envelope.Address, id envelope.ID, h heldRec) Held {
	return Held{To: to, ID: id, Size: h.size, Received: timeOf(h.received), Expires: timeOf(h.expires)}
}

// sortHeld sorts oldest first, then by recipient and id.
func sortHeld(hs []Held) {
	slices.SortFunc(hs, func(a, b Held) int {
		if c := a.Received.Compare(b.Received); c != 0 {
			return c
		}
		if c := cmp.Compare(string(a.To[:]), string(b.To[:])); c != 0 {
			return c
		}
		return cmp.Compare(string(a.ID[:]), string(b.ID[:]))
	})
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

// Ack deletes an envelope the member has stored durably, or, for an
// envelope held for forwarding, one that has been handed on (member is
// then the recipient). Acking an envelope that is not held (acked before,
// dropped, expired) fails with ErrNotHeld; a session may treat that as
// done. Acks of concurrent callers share a commit.
func (r *Relay) Ack(member envelope.Address, id envelope.ID) error {
	n, fwd, err := r.remove(member, []envelope.ID{id})
	if err != nil {
		return fmt.Errorf("ack envelope %s for %s: %w", id, member, err)
	}
	if n == 0 {
		return fmt.Errorf("ack envelope %s for %s: %w", id, member, ErrNotHeld)
	}
	r.countAcks(n, fwd)
	return nil
}

// AckAll is Ack of several envelopes of member in one commit, for a
// session that acknowledges a window of envelopes at once. Ids not held
// (acked before, dropped, expired) are skipped: a session may treat them
// as done.
func (r *Relay) AckAll(member envelope.Address, ids []envelope.ID) error {
	n, fwd, err := r.remove(member, ids)
	if err != nil {
		return fmt.Errorf("ack %d envelopes for %s: %w", len(ids), member, err)
	}
	r.countAcks(n, fwd)
	return nil
}

// countAcks counts n acknowledged envelopes as handed over, or as
// forwarded when they were held for forwarding.
func (r *Relay) countAcks(n int, fwd bool) {
	if fwd {
		r.counter.forwarded.Add(uint64(n))
	} else {
		r.counter.handOvers.Add(uint64(n))
	}
}

// Drop deletes envelopes the member already has from elsewhere (another of
// its relays). Ids not held are ignored.
func (r *Relay) Drop(member envelope.Address, ids ...envelope.ID) error {
	n, _, err := r.remove(member, ids)
	if err != nil {
		return fmt.Errorf("drop %d envelopes for %s: %w", len(ids), member, err)
	}
	r.counter.dropped.Add(uint64(n))
	return nil
}

// remove deletes the given envelopes of member and returns how many were
// held, and whether they were held for forwarding. Up to maxTxnOps ids are
// removed in one transaction shared with concurrent deposits and acks;
// more commit alone, maxTxnOps at a time.
func (r *Relay) remove(member envelope.Address, ids []envelope.ID) (n int, fwd bool, err error) {
	if err := r.enter(); err != nil {
		return 0, false, err
	}
	defer r.leave()
	if len(ids) > maxTxnOps {
		return r.removeMany(member, ids)
	}
	err = r.commits.Do(int64(len(ids)*heldKeyLen), func(w *wbatch) error {
		n, fwd = 0, r.usage[member] != nil && r.usage[member].fwd
		for _, id := range ids {
			h, err := getHeld(w.txn, member, id)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue // not held, or an id repeated in ids
			}
			if err != nil {
				return err
			}
			if err := w.del(heldKey(member, id)); err != nil {
				return err
			}
			n++
			w.freed = append(w.freed, h.blob)
			w.onCommit(func() { r.release(member, 1, h.size) })
		}
		return nil
	})
	return n, fwd, err
}

// removeMany is remove for more ids than one transaction takes.
func (r *Relay) removeMany(member envelope.Address, ids []envelope.ID) (int, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fwd := r.usage[member] != nil && r.usage[member].fwd
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
	return len(victims), fwd, err
}

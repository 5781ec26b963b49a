package relay

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// sweep runs at Open: it counts members and what is held for each address,
// finishes an interrupted Unregister (deletes what is still held for an
// address with a "u" mark, then the mark), then deletes the chunks no
// record references (an interrupted deposit or removal).
func (r *Relay) sweep() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	members, err := r.addressesUnder(tagMember)
	if err != nil {
		return fmt.Errorf("count members: %w", err)
	}
	r.members = len(members)
	gone, err := r.addressesUnder(tagGone)
	if err != nil {
		return fmt.Errorf("list interrupted removals: %w", err)
	}
	refs, err := r.countHeld(members, gone)
	if err != nil {
		return err
	}
	var marks [][]byte
	for a := range gone {
		marks = append(marks, goneKey(a))
	}
	if err := r.deleteKeys(marks); err != nil {
		return fmt.Errorf("delete removal marks: %w", err)
	}
	return r.sweepChunks(refs)
}

// addressesUnder returns the addresses of the keys tag + address.
func (r *Relay) addressesUnder(tag byte) (map[envelope.Address]bool, error) {
	keys, err := r.keysWithPrefix([]byte{tag})
	if err != nil {
		return nil, err
	}
	out := make(map[envelope.Address]bool, len(keys))
	for _, k := range keys {
		var a envelope.Address
		if len(k) == 1+len(a) {
			copy(a[:], k[1:])
			out[a] = true
		}
	}
	return out, nil
}

// countHeld fills r.usage (what is held for a non-member counts as
// forwarding), removes the records of gone addresses and returns the blobs
// the remaining records reference.
func (r *Relay) countHeld(members, gone map[envelope.Address]bool) (map[blobID]bool, error) {
	refs := map[blobID]bool{}
	var lost []Expired
	err := r.eachHeld([]byte{tagHeld}, func(to envelope.Address, id envelope.ID, h heldRec) {
		if gone[to] {
			lost = append(lost, Expired{Recipient: to, ID: id, Size: h.size, blob: h.blob})
		}
		member := members[to] && r.isAllowed(to)
		r.hold(to, h.size, !member)
		refs[h.blob] = true
	})
	if err != nil {
		return nil, fmt.Errorf("count held envelopes: %w", err)
	}
	if len(lost) > 0 {
		r.log.Info("deleting envelopes of removed members", "count", len(lost))
		if err := r.removeLocked(lost); err != nil {
			return nil, err
		}
		for _, v := range lost {
			delete(refs, v.blob)
		}
	}
	return refs, nil
}

// sweepChunks deletes the chunks of blobs no record references.
func (r *Relay) sweepChunks(refs map[blobID]bool) error {
	n, err := r.blobs.Sweep(func(_ *badger.Txn, id blobID) bool { return refs[id] })
	if n > 0 {
		r.log.Info("deleted chunks of interrupted deposits", "blobs", n)
	}
	return err
}

package relay

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// sweep runs at Open: it counts members and what is held for each, deletes
// the records of envelopes whose member is gone (an interrupted
// Unregister), then the chunks no record references (an interrupted
// deposit or removal).
func (r *Relay) sweep() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	members, err := r.keysWithPrefix([]byte{tagMember})
	if err != nil {
		return fmt.Errorf("count members: %w", err)
	}
	r.members = len(members)
	isMember := make(map[envelope.Address]bool, len(members))
	for _, k := range members {
		var a envelope.Address
		copy(a[:], k[1:])
		isMember[a] = true
	}
	refs, err := r.countHeld(isMember)
	if err != nil {
		return err
	}
	return r.sweepChunks(refs)
}

// countHeld fills r.usage, removes the records of non-members and returns
// the blobs the remaining records reference.
func (r *Relay) countHeld(isMember map[envelope.Address]bool) (map[blobID]bool, error) {
	refs := map[blobID]bool{}
	var lost []Expired
	err := r.eachHeld([]byte{tagHeld}, func(to envelope.Address, id envelope.ID, h heldRec) {
		if !isMember[to] {
			lost = append(lost, Expired{Recipient: to, ID: id, Size: h.size, blob: h.blob})
		}
		r.hold(to, h.size)
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

// hold adds one held envelope to a member's usage (r.mu held).
func (r *Relay) hold(to envelope.Address, size int64) {
	u := r.usage[to]
	if u == nil {
		u = &usage{}
		r.usage[to] = u
	}
	u.count++
	u.bytes += size
}

// sweepChunks deletes the chunks of blobs no record references.
func (r *Relay) sweepChunks(refs map[blobID]bool) error {
	n, err := r.blobs.Sweep(func(_ *badger.Txn, id blobID) bool { return refs[id] })
	if n > 0 {
		r.log.Info("deleted chunks of interrupted deposits", "blobs", n)
	}
	return err
}

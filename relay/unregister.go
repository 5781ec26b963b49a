package relay

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// Unregister removes a member and deletes everything held for it, and its
// relay record. Its watchers are closed. The member's registration stamp
// stays, so an old registration cannot be replayed to re-admit it. It
// returns the number of envelopes deleted.
//
// The member's key is deleted together with a "u" mark; the envelopes
// follow in as many transactions as it takes, and the mark last, so an
// interrupted Unregister is finished by the next Open.
func (r *Relay) Unregister(member envelope.Address) (int, error) {
	if err := r.enter(); err != nil {
		return 0, err
	}
	defer r.leave()
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(memberKey(member)); err != nil {
			if errors.Is(err, badger.ErrKeyNotFound) {
				return ErrNotMember
			}
			return err
		}
		for _, k := range [][]byte{memberKey(member), recordKey(member)} {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return txn.Set(goneKey(member), []byte{recordVersion})
	})
	if err != nil {
		return 0, fmt.Errorf("unregister %s: %w", member, err)
	}
	r.members--
	r.setForwarding(member, true)
	r.watch.closeMember(member)
	gone, err := r.removeHeldLocked(member)
	if err == nil {
		err = r.db.Update(func(txn *badger.Txn) error { return txn.Delete(goneKey(member)) })
	}
	if err != nil {
		return len(gone), fmt.Errorf("unregister %s: %w", member, err)
	}
	r.log.Info("member unregistered", "member", member.String(), "envelopes", len(gone))
	return len(gone), nil
}

// removeHeldLocked deletes every envelope held for member (r.mu held).
func (r *Relay) removeHeldLocked(member envelope.Address) ([]Expired, error) {
	var victims []Expired
	err := r.eachHeld(heldPrefix(member), func(to envelope.Address, id envelope.ID, h heldRec) {
		victims = append(victims, Expired{Recipient: to, ID: id, Size: h.size, blob: h.blob})
	})
	if err != nil {
		return nil, err
	}
	return victims, r.removeLocked(victims)
}

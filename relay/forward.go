package relay

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// admitRecipient decides whether an envelope for to, deposited by
// depositor, may be held: for a member (fwd false), or, with
// Options.Forward, for a non-member when the depositor is a member (fwd
// true), but never for the relay's own address. Anything else is
// ErrNotMember.
func (r *Relay) admitRecipient(txn *badger.Txn, depositor, to envelope.Address) (fwd bool, err error) {
	ok, err := r.isMember(txn, to)
	if err != nil || ok {
		return false, err
	}
	if !r.limits().forward {
		return false, fmt.Errorf("%s: %w", to, ErrNotMember)
	}
	if to == r.self {
		return false, fmt.Errorf("%s is this relay's own address: %w", to, ErrNotMember)
	}
	ok, err = r.isMember(txn, depositor)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, fmt.Errorf("%s, and only members may deposit for forwarding: %w", to, ErrNotMember)
	}
	return true, nil
}

// Forwarding lists the envelopes held for recipients that are not members,
// oldest first: what members deposited for others, to be passed on. The
// caller (the node's forwarder) hands each on with Open, and calls Ack
// once the recipient or one of its relays has taken custody; Drop and
// Expire work as for members. A recipient that registers meanwhile finds
// them in its Pending instead.
func (r *Relay) Forwarding() ([]Held, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.leave()
	var out []Held
	err := r.db.View(func(txn *badger.Txn) error {
		member := map[envelope.Address]bool{}
		var ferr error
		err := r.eachHeldTxn(txn, []byte{tagHeld}, func(to envelope.Address, id envelope.ID, h heldRec) {
			ok, seen := member[to]
			if !seen && ferr == nil {
				ok, ferr = r.isMember(txn, to)
				member[to] = ok
			}
			if !ok {
				out = append(out, heldOf(to, id, h))
			}
		})
		if err == nil {
			err = ferr
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list envelopes held for forwarding: %w", err)
	}
	sortHeld(out)
	return out, nil
}

// ForwardKick returns a channel that receives after each deposit held for
// forwarding; a receive means "read Forwarding again". It holds at most
// one signal (deposits in quick succession give one), and is never closed.
func (r *Relay) ForwardKick() <-chan struct{} { return r.kick }

func (r *Relay) kickForwarder() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

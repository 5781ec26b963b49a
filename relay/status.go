package relay

import (
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// Status is what an operator sees of a relay.
type Status struct {
	Members   int   // registered members
	Envelopes int   // envelopes held, for members and for forwarding
	Bytes     int64 // bytes held, for members and for forwarding
	// The part of Envelopes and Bytes held for recipients that are not
	// members, to be passed on.
	Forwarding      int
	ForwardingBytes int64
	// Activity since Open.
	Deposits   uint64 // envelopes taken into custody
	Duplicates uint64 // deposits of an envelope already held
	Refused    uint64 // deposits refused
	HandOvers  uint64 // envelopes acked by their member
	Forwarded  uint64 // envelopes held for forwarding acked as handed on
	Dropped    uint64 // envelopes dropped by their member
	Expired    uint64 // envelopes deleted at expiry
}

// Status returns the current figures.
func (r *Relay) Status() Status {
	r.mu.Lock()
	s := Status{Members: r.members, Forwarding: r.fwd.count, ForwardingBytes: r.fwd.bytes}
	for _, u := range r.usage {
		s.Envelopes += u.count
		s.Bytes += u.bytes
	}
	r.mu.Unlock()
	s.Deposits = r.counter.deposits.Load()
	s.Duplicates = r.counter.duplicates.Load()
	s.Refused = r.counter.refused.Load()
	s.HandOvers = r.counter.handOvers.Load()
	s.Forwarded = r.counter.forwarded.Load()
	s.Dropped = r.counter.dropped.Load()
	s.Expired = r.counter.expired.Load()
	return s
}

// MemberUsage is what a relay holds for one registered member: no more
// than it keeps anyway (no senders, no message metadata).
type MemberUsage struct {
	Member    envelope.Address
	Since     time.Time // when the member registered
	Envelopes int       // envelopes held for it
	Bytes     int64     // their bytes
}

// Members lists the registered members in address order with what the
// relay holds for each.
func (r *Relay) Members() ([]MemberUsage, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	defer r.gate.Leave()
	var out []MemberUsage
	err := r.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.Prefix = keyOf(tagMember)
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			m, err := memberUsageOf(it.Item())
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range out {
		if u := r.usage[out[i].Member]; u != nil {
			out[i].Envelopes, out[i].Bytes = u.count, u.bytes
		}
	}
	return out, nil
}

// memberUsageOf reads a member record: its key names the member, its
// value holds the registration time.
func memberUsageOf(item *badger.Item) (MemberUsage, error) {
	var m MemberUsage
	key := item.Key()
	if len(key) != len(keyOf(tagMember))+len(m.Member) {
		return m, fmt.Errorf("%w: member key of %d bytes", ErrCorrupt, len(key))
	}
	copy(m.Member[:], key[len(key)-len(m.Member):])
	v, err := item.ValueCopy(nil)
	if err != nil {
		return m, err
	}
	m.Since, err = decodeTime(v, "member record")
	return m, err
}

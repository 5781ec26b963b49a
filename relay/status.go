package relay

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

package relay

import (
	"fmt"

	"github.com/yggpost/yggpost/envelope"
)

// usage is what is held, and reserved by deposits in progress, for one
// recipient. fwd marks a recipient that is not a member: what is held for
// it is held for forwarding and counts, in total, against ForwardCount and
// ForwardBytes (in Relay.fwd) instead of the member quotas. All of it is
// guarded by Relay.mu, which also serialises every membership change, so
// fwd always matches the stored membership.
type usage struct {
	count, resCount int
	bytes, resBytes int64
	fwd             bool
}

// usageOf returns the usage of to, creating it with the given kind (r.mu
// held). An existing entry of the other kind is moved over.
func (r *Relay) usageOf(to envelope.Address, fwd bool) *usage {
	u := r.usage[to]
	if u == nil {
		u = &usage{fwd: fwd}
		r.usage[to] = u
	}
	r.setForwarding(to, fwd)
	return u
}

// setForwarding moves what is held and reserved for a between the member
// quotas and the forwarding totals when a becomes, or stops being, a
// member (r.mu held).
func (r *Relay) setForwarding(a envelope.Address, fwd bool) {
	u := r.usage[a]
	if u == nil || u.fwd == fwd {
		return
	}
	sign := 1
	if !fwd {
		sign = -1
	}
	r.fwd.count += sign * u.count
	r.fwd.resCount += sign * u.resCount
	r.fwd.bytes += int64(sign) * u.bytes
	r.fwd.resBytes += int64(sign) * u.resBytes
	u.fwd = fwd
}

// hold adds one held envelope to the usage of to (r.mu held).
func (r *Relay) hold(to envelope.Address, size int64, fwd bool) {
	u := r.usageOf(to, fwd)
	u.count++
	u.bytes += size
	if u.fwd {
		r.fwd.count++
		r.fwd.bytes += size
	}
}

// release subtracts held envelopes from the usage of to (r.mu held).
func (r *Relay) release(to envelope.Address, count int, size int64) {
	u := r.usage[to]
	if u == nil {
		return
	}
	u.count -= count
	u.bytes -= size
	if u.fwd {
		r.fwd.count -= count
		r.fwd.bytes -= size
	}
	r.forgetIdle(to, u)
}

// forgetIdle drops a usage entry with nothing held or reserved.
func (r *Relay) forgetIdle(to envelope.Address, u *usage) {
	if u.count <= 0 && u.resCount == 0 {
		delete(r.usage, to)
	}
}

// reserve counts a deposit in progress against the quota that applies: the
// member's own, or the forwarding totals (r.mu held).
func (r *Relay) reserve(to envelope.Address, size int64, fwd bool) error {
	u := r.usageOf(to, fwd)
	var err error
	if fwd {
		err = r.checkForwardQuota(size)
	} else {
		err = r.checkMemberQuota(u, size)
	}
	if err != nil {
		r.forgetIdle(to, u)
		return err
	}
	u.resCount++
	u.resBytes += size
	if fwd {
		r.fwd.resCount++
		r.fwd.resBytes += size
	}
	return nil
}

func (r *Relay) checkMemberQuota(u *usage, size int64) error {
	l := r.limits()
	if u.count+u.resCount+1 > l.memberEnvelopes {
		return fmt.Errorf("%d envelopes held: %w", u.count, ErrQuotaCount)
	}
	if u.bytes+u.resBytes+size > l.memberBytes {
		return fmt.Errorf("%d of %d bytes held: %w", u.bytes, l.memberBytes, ErrQuotaBytes)
	}
	return nil
}

func (r *Relay) checkForwardQuota(size int64) error {
	f := &r.fwd
	l := r.limits()
	if f.count+f.resCount+1 > l.forwardCount {
		return fmt.Errorf("%d envelopes held for forwarding: %w", f.count, ErrForwardCount)
	}
	if f.bytes+f.resBytes+size > l.forwardBytes {
		return fmt.Errorf("%d of %d bytes held for forwarding: %w", f.bytes, l.forwardBytes, ErrForwardBytes)
	}
	return nil
}

// unreserve ends the reservation of a deposit (r.mu not held).
func (r *Relay) unreserve(to envelope.Address, size int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unreserveLocked(to, size)
}

// unreserveLocked is unreserve with r.mu held.
func (r *Relay) unreserveLocked(to envelope.Address, size int64) {
	u := r.usage[to]
	if u == nil {
		return
	}
	u.resCount--
	u.resBytes -= size
	if u.fwd {
		r.fwd.resCount--
		r.fwd.resBytes -= size
	}
	r.forgetIdle(to, u)
}

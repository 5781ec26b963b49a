package relay

import (
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// limits are the options a running relay can change (SetLimits): who may
// register, and how much it holds and for how long. The others (the key,
// the deposit rate and concurrency, invites, watchers) are fixed at Open.
type limits struct {
	policy          Policy
	allow           map[envelope.Address]bool
	memberBytes     int64
	memberEnvelopes int
	forward         bool
	forwardBytes    int64
	forwardCount    int
	retention       time.Duration
	maxEnvelope     int64
}

// limitsOf takes the limits from options that have their defaults.
func limitsOf(o Options) *limits {
	l := &limits{
		policy: o.Policy, allow: map[envelope.Address]bool{},
		memberBytes: o.MemberBytes, memberEnvelopes: o.MemberEnvelopes,
		forward: o.Forward, forwardBytes: o.ForwardBytes, forwardCount: o.ForwardCount,
		retention: o.Retention, maxEnvelope: o.MaxEnvelope,
	}
	for _, a := range o.Allow {
		l.allow[a] = true
	}
	return l
}

// limits returns the limits in force.
func (r *Relay) limits() *limits { return r.lim.Load() }

// SetLimits changes, while the relay runs, who may register (Policy,
// Allow), the quotas (MemberBytes, MemberEnvelopes, Forward, ForwardBytes,
// ForwardCount), Retention and MaxEnvelope; zero fields take their
// defaults, as at Open, and the other fields of o are ignored. Envelopes
// held stay: a lower quota refuses new deposits only, a shorter retention
// applies to envelopes deposited from now on, and a member taken off the
// allowlist gets nothing more.
func (r *Relay) SetLimits(o Options) error {
	o.Key = r.opts.Key
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	old := r.lim.Swap(limitsOf(o))
	if old.policy != o.Policy || len(old.allow) != len(o.Allow) || old.memberBytes != o.MemberBytes || old.memberEnvelopes != o.MemberEnvelopes ||
		old.forward != o.Forward || old.retention != o.Retention || old.maxEnvelope != o.MaxEnvelope {
		r.log.Info("relay limits changed", "policy", o.Policy.String(), "allowed", len(o.Allow),
			"member_bytes", o.MemberBytes, "member_envelopes", o.MemberEnvelopes, "forward", o.Forward,
			"retention", o.Retention.String(), "max_envelope", o.MaxEnvelope)
	}
	return nil
}

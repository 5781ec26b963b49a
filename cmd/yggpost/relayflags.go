package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/conffile"
	"github.com/yggpost/yggpost/relay"
)

// relayFlags holds the relay role's flags until they are checked and
// turned into node.Config fields.
type relayFlags struct {
	on        bool
	policy    policyValue
	allow     listFlag
	quota     sizeValue
	envelopes int
	retention daysValue
	maxEnv    sizeValue
	forward   bool
	relays    listFlag
	invite    int
}

func (r *relayFlags) register(fs *flag.FlagSet) {
	r.quota, r.maxEnv = relay.DefaultMemberBytes, relay.DefaultMaxEnvelope
	r.retention = daysValue(relay.DefaultRetention)
	fs.BoolVar(&r.on, "relay", false, "run the relay role: hold mail for members while they are offline (also serves this node's own mailbox)")
	fs.Var(&r.policy, "relay-policy", "who may become a member, a `policy`: open (the default), allowlist or invite")
	fs.Var(&r.allow, "relay-allow", "member `address` for -relay-policy allowlist (repeatable or comma-separated)")
	fs.Var(&r.quota, "relay-quota-bytes", "bytes held per member, a `size` such as 1GiB, 500MB or plain bytes")
	fs.IntVar(&r.envelopes, "relay-quota-envelopes", relay.DefaultMemberEnvelopes, "`envelopes` held per member")
	fs.Var(&r.retention, "relay-retention", "how long an envelope is held, a `duration` such as 14d, 36h or 1d12h")
	fs.Var(&r.maxEnv, "relay-max-envelope", "largest envelope accepted, a `size` such as 64MiB")
	fs.BoolVar(&r.forward, "relay-forward", true, "hold what members send to people who are not members, and pass it on")
	fs.Var(&r.relays, "relays", "your relays, each an `address` optionally followed by =<invite token> (repeatable or comma-separated)")
	fs.IntVar(&r.invite, "relay-invite", 0, "create `n` invite tokens in this database's relay store, print one per line and exit")
}

// apply checks the relay flags that were set (names as reported by
// flag.FlagSet.Visit) and fills the relay fields of cfg.
func (r *relayFlags) apply(set map[string]bool, cfg *node.Config) error {
	if err := r.checkCombination(set); err != nil {
		return err
	}
	for _, s := range r.relays {
		ref, err := node.ParseRelayRef(s)
		if err != nil {
			return fmt.Errorf("-relays: %w (want <64 hex>@yggmail, optionally =<invite token>)", err)
		}
		cfg.Relays = append(cfg.Relays, ref)
	}
	if set["relay-invite"] && (r.invite < 1 || r.invite > relay.DefaultMaxInvites) {
		return fmt.Errorf("-relay-invite %d: want a count from 1 to %d (the most invites outstanding at once)", r.invite, relay.DefaultMaxInvites)
	}
	if !r.on {
		return nil
	}
	opts, err := r.options()
	if err != nil {
		return err
	}
	cfg.Relay = opts
	return nil
}

// checkCombination refuses relay settings given without -relay, and an
// allowlist given with another policy.
func (r *relayFlags) checkCombination(set map[string]bool) error {
	if !r.on {
		for name := range set {
			if strings.HasPrefix(name, "relay-") && name != "relay-invite" {
				return fmt.Errorf("-%s applies to the relay role: add -relay", name)
			}
		}
	}
	if len(r.allow) > 0 && relay.Policy(r.policy) != relay.PolicyAllowlist {
		return fmt.Errorf("-relay-allow needs -relay-policy allowlist (the policy is %s)", relay.Policy(r.policy))
	}
	if r.on && relay.Policy(r.policy) == relay.PolicyAllowlist && len(r.allow) == 0 {
		return errors.New("-relay-policy allowlist needs at least one -relay-allow address")
	}
	return nil
}

// options builds the relay store's options from the flags.
func (r *relayFlags) options() (*relay.Options, error) {
	if r.envelopes < 1 {
		return nil, fmt.Errorf("-relay-quota-envelopes %d: want at least 1", r.envelopes)
	}
	opts := &relay.Options{
		Policy:          relay.Policy(r.policy),
		MemberBytes:     int64(r.quota),
		MemberEnvelopes: r.envelopes,
		Retention:       time.Duration(r.retention),
		MaxEnvelope:     int64(r.maxEnv),
		Forward:         r.forward,
	}
	allow, err := conffile.ParseAllow(r.allow, func(_ int, s string, err error) error {
		return fmt.Errorf("-relay-allow %q: %w (want <64 hex>@yggmail)", s, err)
	})
	if err != nil {
		return nil, err
	}
	opts.Allow = allow
	return opts, nil
}

// policyValue is the -relay-policy flag.
type policyValue relay.Policy

func (p *policyValue) String() string { return relay.Policy(*p).String() }
func (p *policyValue) Set(s string) error {
	q, err := conffile.ParsePolicy(s)
	if err != nil {
		return err
	}
	*p = policyValue(q)
	return nil
}

// sizeValue is a flag holding a size in bytes (parseSize).
type sizeValue int64

func (v *sizeValue) String() string { return formatSize(int64(*v)) }
func (v *sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*v = sizeValue(n)
	return nil
}

// daysValue is a flag holding a duration that may be given in days
// (parseDays).
type daysValue time.Duration

func (v *daysValue) String() string { return formatDays(time.Duration(*v)) }
func (v *daysValue) Set(s string) error {
	d, err := parseDays(s)
	if err != nil {
		return err
	}
	*v = daysValue(d)
	return nil
}

package relay

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// Policy says who may register as a member.
type Policy int

const (
	// PolicyOpen admits every key that registers.
	PolicyOpen Policy = iota
	// PolicyAllowlist admits only the keys in Options.Allow; a key removed
	// from the list stops being a member.
	PolicyAllowlist
	// PolicyInvite admits a new member only with an unused invite token
	// from NewInvite; a member renewing its registration needs none.
	PolicyInvite
)

func (p Policy) String() string {
	switch p {
	case PolicyOpen:
		return "open"
	case PolicyAllowlist:
		return "allowlist"
	case PolicyInvite:
		return "invite"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// Defaults used when an Options field is zero.
const (
	DefaultRetention       = 14 * 24 * time.Hour
	DefaultMemberBytes     = 1 << 30
	DefaultMemberEnvelopes = 20000
	DefaultMaxEnvelope     = 65 << 20 // a 64 MiB message sealed, with room for a relay record
	DefaultDepositRate     = 120      // envelopes per minute and depositor
	// DefaultMemberDepositRate is the rate, and the burst, of a depositor
	// that is a member of the relay: a person's burst of a few thousand
	// messages to someone away goes through at once.
	DefaultMemberDepositRate = 6000
	DefaultMaxDeposits       = 32
	DefaultMaxInvites        = 1000
	DefaultInviteLifetime    = 30 * 24 * time.Hour
	DefaultMaxWatchers       = 8
	DefaultForwardBytes      = 1 << 30
	DefaultForwardCount      = 20000
	// RegistrationWindow is how far a registration's time may be from the
	// relay's clock, either way.
	RegistrationWindow = 5 * time.Minute
	// WatchBuffer is how many ids a watcher may fall behind before it is
	// closed (the session then re-reads Pending).
	WatchBuffer = 256
	// rateTracked bounds the depositors whose rate is remembered.
	rateTracked = 4096
)

// Options configure a Relay. Key is required; every other zero field takes
// its default.
type Options struct {
	// Key is the relay's private key: it signs custody receipts, and its
	// public half is the address registrations must name.
	Key ed25519.PrivateKey
	// Policy and Allow decide who may register.
	Policy Policy
	Allow  []envelope.Address
	// MemberBytes and MemberEnvelopes bound what is held for one member.
	MemberBytes     int64
	MemberEnvelopes int
	// Forward lets members deposit envelopes for recipients that are not
	// members, to be passed on (see Relay.Forwarding). Off, such deposits
	// are refused with ErrNotMember.
	Forward bool
	// ForwardBytes and ForwardCount bound what is held for forwarding, in
	// total over all recipients.
	ForwardBytes int64
	ForwardCount int
	// Retention is how long an envelope is held before Expire deletes it.
	Retention time.Duration
	// MaxEnvelope bounds the size of one sealed envelope.
	MaxEnvelope int64
	// DepositRate is the number of envelopes one depositor may deposit per
	// minute (a token bucket with that burst, in memory only); negative
	// means unlimited. MemberDepositRate is the same for depositors that
	// are members of the relay.
	DepositRate       int
	MemberDepositRate int
	// MaxDeposits bounds deposits in progress at once.
	MaxDeposits int
	// MaxInvites bounds outstanding invites; InviteLifetime is how long an
	// unused invite stays valid.
	MaxInvites     int
	InviteLifetime time.Duration
	// MaxWatchers bounds the watchers of one member.
	MaxWatchers int
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests set a fake one.
	Now func() time.Time
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Key) != ed25519.PrivateKeySize {
		return o, fmt.Errorf("relay key is %d bytes, want %d", len(o.Key), ed25519.PrivateKeySize)
	}
	if o.Policy < PolicyOpen || o.Policy > PolicyInvite {
		return o, fmt.Errorf("unknown membership policy %v", o.Policy)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.MemberBytes = orDefault(o.MemberBytes, DefaultMemberBytes)
	o.MemberEnvelopes = orDefault(o.MemberEnvelopes, DefaultMemberEnvelopes)
	o.Retention = orDefault(o.Retention, DefaultRetention)
	o.MaxEnvelope = orDefault(o.MaxEnvelope, DefaultMaxEnvelope)
	if o.DepositRate == 0 {
		o.DepositRate = DefaultDepositRate
	}
	if o.MemberDepositRate == 0 && o.DepositRate < 0 {
		o.MemberDepositRate = -1 // no limit for strangers, none for members
	}
	if o.MemberDepositRate == 0 {
		o.MemberDepositRate = max(DefaultMemberDepositRate, o.DepositRate)
	}
	o.MaxDeposits = orDefault(o.MaxDeposits, DefaultMaxDeposits)
	o.MaxInvites = orDefault(o.MaxInvites, DefaultMaxInvites)
	o.InviteLifetime = orDefault(o.InviteLifetime, DefaultInviteLifetime)
	o.MaxWatchers = orDefault(o.MaxWatchers, DefaultMaxWatchers)
	o.ForwardBytes = orDefault(o.ForwardBytes, DefaultForwardBytes)
	o.ForwardCount = orDefault(o.ForwardCount, DefaultForwardCount)
	return o, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

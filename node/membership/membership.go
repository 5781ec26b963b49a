// Package membership is a member's side of its relays (docs/protocol.md
// section 10): for each relay the user named (-relays) it keeps one
// hand-over session open — register, publish the node's relay record,
// turn the session around with ATRN, then store what the relay hands over
// through the node's receiver — and reconnects with backoff (1 s doubling
// to 1 min), or at once when kicked. It signs the node's own relay record
// (which relays hold its mail, renewed daily, valid 30 days), which the node
// seals into every envelope it sends, and tells the other relays to DROP
// their copies of an envelope one relay handed over.
//
// Run owns every goroutine of the package: one per relay session, the
// record renewal and the DROP batcher; it returns when they all have.
package membership

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/periodic"
	"github.com/yggpost/yggpost/node/peer"
)

// Relay names one relay the user is a member of, with the invite token to
// register with if the relay admits by invitation.
type Relay struct {
	Address envelope.Address
	Invite  string
}

// Options configure a Membership. Key, Dialer, Receiver and Records are
// required when Relays is not empty.
type Options struct {
	// Key is the node's key: registrations, the ATRN answer and the relay
	// record are signed with it.
	Key ed25519.PrivateKey
	// Relays are the relays the user is a member of.
	Relays []Relay
	// Dialer reaches the relays; Reach bounds the search for one.
	Dialer *peer.Dialer
	Reach  time.Duration
	// Receiver stores the envelopes relays hand over; Records answers
	// RELAYS on the turned session; MaxSize is the largest envelope taken.
	Receiver peer.Receiver
	Records  peer.RecordSource
	MaxSize  int64
	// Changed, when set, is called with the number of open relay
	// sessions each time a session opens or ends.
	Changed func(open int)
	Logger  *slog.Logger
}

// Membership keeps the sessions with a member's relays. Create it with New.
type Membership struct {
	opts    Options
	log     *slog.Logger
	members []*member
	record  ownRecord
	drops   *dropper
	open    atomic.Int32 // relay sessions open now
}

// New returns the membership of opts.Relays and signs the node's first
// relay record. It starts nothing.
func New(opts Options) (*Membership, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Membership{opts: opts, log: opts.Logger, drops: newDropper()}
	for _, r := range opts.Relays {
		m.members = append(m.members, &member{m: m, relay: r, kick: make(chan struct{}, 1), after: time.After})
	}
	if err := m.signRecord(time.Now()); err != nil {
		return nil, err
	}
	return m, nil
}

// Run keeps a session with every relay, renews the relay record and sends
// DROPs until ctx ends; it returns once all of that has stopped. With no
// relays it returns at once.
func (m *Membership) Run(ctx context.Context) {
	if len(m.members) == 0 {
		return
	}
	var wg sync.WaitGroup
	for _, mb := range m.members {
		wg.Go(func() { mb.run(ctx) })
	}
	wg.Go(func() { periodic.Every(ctx, recordRenewal, m.renewRecord) })
	wg.Go(func() { m.drops.run(ctx, m) })
	wg.Wait()
}

// Open returns the number of relay sessions open now.
func (m *Membership) Open() int { return int(m.open.Load()) }

// sessionOpen counts a session that opened (+1) or ended (-1).
func (m *Membership) sessionOpen(delta int32) {
	open := m.open.Add(delta)
	if m.opts.Changed != nil {
		m.opts.Changed(int(open))
	}
}

// Relays returns the addresses of the member's relays.
func (m *Membership) Relays() []envelope.Address {
	out := make([]envelope.Address, len(m.opts.Relays))
	for i, r := range m.opts.Relays {
		out[i] = r.Address
	}
	return out
}

// IsRelay reports whether a is one of the member's relays.
func (m *Membership) IsRelay(a envelope.Address) bool {
	return slices.ContainsFunc(m.opts.Relays, func(r Relay) bool { return r.Address == a })
}

// Kick asks every relay session that is waiting to reconnect to do it now:
// the mesh reported a path or a link. It never blocks.
func (m *Membership) Kick() {
	for _, mb := range m.members {
		select {
		case mb.kick <- struct{}{}:
		default:
		}
	}
}

// HandedOver notes that envelope id from sender arrived through via: if
// via is one of the member's relays and there are others, they are told to
// drop their copies.
func (m *Membership) HandedOver(via, sender envelope.Address, id envelope.ID) {
	if via == sender || !m.IsRelay(via) || len(m.opts.Relays) < 2 {
		return
	}
	m.drops.add(via, id)
}

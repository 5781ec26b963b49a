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
	record  ownRecord
	drops   *dropper
	open    atomic.Int32  // relay sessions open now
	changed chan struct{} // SetRelays changed the list: Run starts and stops sessions

	mu      sync.Mutex
	relays  []Relay   // the user's relays now
	members []*member // one per relay; Run starts and stops their sessions
}

// New returns the membership of opts.Relays and signs the node's first
// relay record. It starts nothing.
func New(opts Options) (*Membership, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Membership{opts: opts, log: opts.Logger, drops: newDropper(), changed: make(chan struct{}, 1)}
	m.setMembers(opts.Relays)
	if err := m.signRecord(time.Now()); err != nil {
		return nil, err
	}
	return m, nil
}

// setMembers makes relays the list, keeping the member (and its session)
// of every relay that stays.
func (m *Membership) setMembers(relays []Relay) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var members []*member
	for _, r := range relays {
		i := slices.IndexFunc(m.members, func(mb *member) bool { return mb.relay == r })
		if i >= 0 {
			members = append(members, m.members[i])
			continue
		}
		members = append(members, &member{m: m, relay: r, kick: make(chan struct{}, 1), after: time.After})
	}
	m.relays, m.members = slices.Clone(relays), members
}

// SetRelays replaces the user's relays while Run runs: sessions with
// relays no longer named end, new ones start at once, and a new relay
// record names the new list. The caller has checked the list (no repeats,
// not the node itself, at most relay.MaxRelays).
func (m *Membership) SetRelays(relays []Relay) error {
	m.setMembers(relays)
	if err := m.signRecord(time.Now()); err != nil {
		return err
	}
	select {
	case m.changed <- struct{}{}:
	default:
	}
	return nil
}

// Run keeps a session with every relay, renews the relay record and sends
// DROPs until ctx ends; it returns once all of that has stopped. It starts
// and ends sessions as SetRelays changes the list; with no relays it only
// waits.
func (m *Membership) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { periodic.Every(ctx, recordRenewal, m.renewRecord) })
	wg.Go(func() { m.drops.run(ctx, m) })
	sessions := map[*member]context.CancelFunc{}
	for {
		m.reconcile(ctx, &wg, sessions)
		select {
		case <-ctx.Done():
			return
		case <-m.changed:
		}
	}
}

// reconcile starts the session loop of every member that has none and ends
// those of members no longer in the list.
func (m *Membership) reconcile(ctx context.Context, wg *sync.WaitGroup, sessions map[*member]context.CancelFunc) {
	m.mu.Lock()
	current := slices.Clone(m.members)
	m.mu.Unlock()
	for mb, cancel := range sessions {
		if !slices.Contains(current, mb) {
			cancel()
			delete(sessions, mb)
		}
	}
	for _, mb := range current {
		if _, ok := sessions[mb]; !ok {
			sctx, cancel := context.WithCancel(ctx)
			sessions[mb] = cancel
			wg.Go(func() { mb.run(sctx) })
		}
	}
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
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]envelope.Address, len(m.relays))
	for i, r := range m.relays {
		out[i] = r.Address
	}
	return out
}

// RelayState is one of the member's relays and whether a session with it
// is open.
type RelayState struct {
	Address envelope.Address
	Open    bool
}

// States returns the member's relays with their sessions' state.
func (m *Membership) States() []RelayState {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]RelayState, len(m.members))
	for i, mb := range m.members {
		out[i] = RelayState{Address: mb.relay.Address, Open: mb.up.Load()}
	}
	return out
}

// IsRelay reports whether a is one of the member's relays.
func (m *Membership) IsRelay(a envelope.Address) bool {
	return slices.Contains(m.Relays(), a)
}

// Kick asks every relay session that is waiting to reconnect to do it now:
// the mesh reported a path or a link. It never blocks.
func (m *Membership) Kick() {
	m.mu.Lock()
	defer m.mu.Unlock()
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
	if via == sender || !m.IsRelay(via) || len(m.Relays()) < 2 {
		return
	}
	m.drops.add(via, id)
}

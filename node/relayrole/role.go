// Package relayrole runs the relay role of a node (Config.Relay): it holds
// sealed envelopes for the relay's members and hands them over when they
// connect, and, with forwarding on, holds what its members send to people
// who are offline and passes it on. The store is the relay package, in the
// "relay" directory inside the node's database directory; this package is
// the relay's side of the node-to-node protocol (it implements
// peer.RelayService and peer.RecordSource for members' records) and owns
// the relay's goroutines: expiry, garbage collection and the forwarder.
//
// The role never sees plaintext: it moves sealed envelopes between the
// store and streams, and deletes one only once the member acknowledged it,
// another relay signed a custody receipt for it, or it expired.
package relayrole

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/periodic"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/node/peerbook"
	"github.com/yggpost/yggpost/relay"
)

// DefaultExpireInterval is how often the relay deletes what is past its
// retention.
const DefaultExpireInterval = 10 * time.Minute

// gcInterval is how often the relay store reclaims space of deleted
// envelopes.
const gcInterval = time.Hour

// Options configure a Role. Every field but ExpireInterval and Logger is
// required.
type Options struct {
	// Database is the node's database directory; the relay store is in
	// its "relay" directory (Dir).
	Database string
	// Store configures the relay store; its Key is set from Key.
	Store relay.Options
	// Key is the node's key: the relay signs custody receipts with it.
	Key ed25519.PrivateKey
	// Dialer reaches other nodes, for forwarding; its Client is also used
	// for hand-over sessions.
	Dialer *peer.Dialer
	// Reach bounds the search for a node on the mesh.
	Reach time.Duration
	// Book knows correspondents' relay records, for forwarding.
	Book *peerbook.Book
	// ExpireInterval is how often expired envelopes are deleted
	// (DefaultExpireInterval when zero).
	ExpireInterval time.Duration
	// Holding, if set, is called each time the forwarder finds envelopes
	// held for forwarding, so that the node looks for paths to their
	// recipients only while there are some. It must not block.
	Holding func()
	Logger  *slog.Logger
}

// Role is a running relay role. Create it with Open; run it with Run.
type Role struct {
	opts  Options
	r     *relay.Relay
	log   *slog.Logger
	local envelope.Address
	kick  chan struct{} // a path or link came up: forward to everyone now
}

// Dir is where the relay store of the node with database directory
// database lives.
func Dir(database string) string { return filepath.Join(database, "relay") }

// Open opens the relay store. It starts nothing.
func Open(opts Options) (*Role, error) {
	if opts.ExpireInterval <= 0 {
		opts.ExpireInterval = DefaultExpireInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Store.Key = opts.Key
	if opts.Store.Logger == nil {
		opts.Store.Logger = opts.Logger
	}
	r, err := relay.Open(Dir(opts.Database), opts.Store)
	if err != nil {
		return nil, fmt.Errorf("open relay store: %w", err)
	}
	local, err := envelope.AddressFromKey(opts.Key.Public().(ed25519.PublicKey))
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("relay key: %w", err)
	}
	st := r.Status()
	opts.Logger.Info("relay role on", "policy", opts.Store.Policy.String(), "members", st.Members, "envelopes", st.Envelopes, "bytes", st.Bytes)
	return &Role{opts: opts, r: r, log: opts.Logger, local: local, kick: make(chan struct{}, 1)}, nil
}

// Run runs expiry, garbage collection and the forwarder until ctx ends,
// and returns once all three have stopped.
func (ro *Role) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { periodic.Every(ctx, ro.opts.ExpireInterval, ro.expire) })
	wg.Go(func() { periodic.Every(ctx, gcInterval, ro.collectGarbage) })
	wg.Go(func() { ro.runForwarder(ctx) })
	wg.Wait()
}

// Close closes the relay store. Call it after Run has returned.
func (ro *Role) Close() error { return ro.r.Close() }

// Compact compacts the relay store now and returns when that is done.
func (ro *Role) Compact() error { return ro.r.Compact() }

// Status returns the relay's figures.
func (ro *Role) Status() relay.Status { return ro.r.Status() }

// MaxEnvelope is the largest envelope the relay takes.
func (ro *Role) MaxEnvelope() int64 { return ro.opts.Store.MaxEnvelope }

// Kick asks the forwarder to try every recipient now: a path or link came
// up, or a node opened a stream to us. It never blocks, and does nothing on
// a nil Role (a node that is no relay).
func (ro *Role) Kick() {
	if ro == nil {
		return
	}
	select {
	case ro.kick <- struct{}{}:
	default:
	}
}

// ForwardingTo returns the recipients of envelopes held for forwarding, so
// that the node can ask the mesh for paths to them.
func (ro *Role) ForwardingTo() ([]envelope.Address, error) {
	held, err := ro.r.Forwarding()
	if err != nil {
		return nil, err
	}
	to := make([]envelope.Address, 0, len(held))
	for _, h := range held {
		to = append(to, h.To)
	}
	return to, nil
}

// Record returns the signed relay record a member published here, for
// RELAYS queries.
func (ro *Role) Record(a envelope.Address) ([]byte, bool) {
	rec, ok, err := ro.r.RecordOf(a)
	if err != nil || !ok {
		return nil, false
	}
	wire, err := rec.MarshalBinary()
	return wire, err == nil
}

func (ro *Role) expire() {
	gone, err := ro.r.Expire()
	if err != nil {
		ro.log.Warn("expire relay envelopes", "err", err)
		return
	}
	if len(gone) > 0 {
		ro.log.Info("relay envelopes expired", "count", len(gone))
	}
}

func (ro *Role) collectGarbage() {
	if err := ro.r.CollectGarbage(); err != nil {
		ro.log.Warn("reclaim relay disk space", "err", err)
	}
}

// NewInvites creates count single-use invite tokens in the relay store of
// the node with database directory database, which must not be running
// (the store is locked while it runs).
func NewInvites(database string, opts relay.Options, key ed25519.PrivateKey, count int) ([]string, error) {
	opts.Key = key
	r, err := relay.Open(Dir(database), opts)
	if err != nil {
		return nil, fmt.Errorf("open the relay store: %w", err)
	}
	defer r.Close()
	return newInvites(r, count)
}

// NewInvites creates count invite tokens in the running relay's store.
func (ro *Role) NewInvites(count int) ([]string, error) { return newInvites(ro.r, count) }

func newInvites(r *relay.Relay, count int) ([]string, error) {
	tokens := make([]string, 0, count)
	for range count {
		t, err := r.NewInvite()
		if err != nil {
			return tokens, fmt.Errorf("create invite: %w", err)
		}
		tokens = append(tokens, t)
	}
	return tokens, nil
}

// Dump writes a consistent snapshot of the relay store to w (relay.Relay.Dump).
func (ro *Role) Dump(w io.Writer) error { return ro.r.Dump(w) }

// Members lists the relay's members with what it holds for each.
func (ro *Role) Members() ([]relay.MemberUsage, error) { return ro.r.Members() }

// SetLimits changes the running relay's membership and quotas
// (relay.Relay.SetLimits).
func (ro *Role) SetLimits(o relay.Options) error { return ro.r.SetLimits(o) }

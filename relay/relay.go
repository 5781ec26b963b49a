package relay

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// Relay is the store of one relay. All methods are safe for concurrent use.
type Relay struct {
	db    *badger.DB
	opts  Options
	log   *slog.Logger
	self  envelope.Address
	allow map[envelope.Address]bool

	// Closing: operations run between enter and leave; Close sets closed
	// and waits for them.
	lifeMu sync.Mutex
	closed bool
	active sync.WaitGroup

	// mu serialises index writes and guards usage and members.
	mu      sync.Mutex
	usage   map[envelope.Address]*usage
	members int

	slots   chan struct{} // one per deposit in progress
	rate    *limiter
	watch   watchers
	counter counters
}

// usage is what is held, and reserved by deposits in progress, for one
// member.
type usage struct {
	count, resCount int
	bytes, resBytes int64
}

// counters are the activity figures since Open.
type counters struct {
	deposits, duplicates, refused, handOvers, dropped, expired atomic.Uint64
}

// Open opens (creating if needed) the relay store in directory dir, deletes
// what an interrupted deposit or removal left behind, and counts what is
// held.
func Open(dir string, opts Options) (*Relay, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open relay %q: %w", dir, err)
	}
	bo := badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(badgerLogger{opts.Logger}).
		WithValueThreshold(valueThreshold).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(8 << 20).
		WithValueLogFileSize(256 << 20)
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("open relay %q: %w", dir, err)
	}
	r := newRelay(db, opts)
	if err := r.sweep(); err != nil {
		return nil, errors.Join(fmt.Errorf("open relay %q: %w", dir, err), db.Close())
	}
	return r, nil
}

func newRelay(db *badger.DB, opts Options) *Relay {
	r := &Relay{
		db:    db,
		opts:  opts,
		log:   opts.Logger,
		allow: map[envelope.Address]bool{},
		usage: map[envelope.Address]*usage{},
		slots: make(chan struct{}, opts.MaxDeposits),
		rate:  newLimiter(opts.DepositRate),
	}
	copy(r.self[:], opts.Key.Public().(ed25519.PublicKey))
	for _, a := range opts.Allow {
		r.allow[a] = true
	}
	r.watch.init(opts.MaxWatchers)
	return r
}

// Address is the relay's own address (the public half of Options.Key).
func (r *Relay) Address() envelope.Address { return r.self }

// Close waits for operations in progress, closes every watcher and the
// database. Readers from Open fail with ErrClosed afterwards. Closing twice
// returns ErrClosed.
func (r *Relay) Close() error {
	r.lifeMu.Lock()
	if r.closed {
		r.lifeMu.Unlock()
		return ErrClosed
	}
	r.closed = true
	r.lifeMu.Unlock()
	r.active.Wait()
	r.watch.closeAll()
	if err := r.db.Close(); err != nil {
		return fmt.Errorf("close relay: %w", err)
	}
	return nil
}

// enter marks the start of an operation; it fails once the relay is
// closing. Every successful enter is paired with leave.
func (r *Relay) enter() error {
	r.lifeMu.Lock()
	defer r.lifeMu.Unlock()
	if r.closed {
		return ErrClosed
	}
	r.active.Add(1)
	return nil
}

func (r *Relay) leave() { r.active.Done() }

// CollectGarbage asks Badger to reclaim value-log space freed by handed-over
// and expired envelopes. The owner calls it from time to time (hourly, say).
func (r *Relay) CollectGarbage() error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	for {
		err := r.db.RunValueLogGC(0.5)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("collect garbage: %w", err)
		}
	}
}

// badgerLogger forwards Badger's messages to slog; its chatty Info level
// becomes Debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) logf(level slog.Level, format string, args []any) {
	if b.l.Enabled(context.Background(), level) {
		b.l.Log(context.Background(), level, fmt.Sprintf(format, args...), "component", "badger")
	}
}

func (b badgerLogger) Errorf(f string, a ...any)   { b.logf(slog.LevelError, f, a) }
func (b badgerLogger) Warningf(f string, a ...any) { b.logf(slog.LevelWarn, f, a) }
func (b badgerLogger) Infof(f string, a ...any)    { b.logf(slog.LevelDebug, f, a) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.logf(slog.LevelDebug-4, f, a) }

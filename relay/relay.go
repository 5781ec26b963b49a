package relay

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/chunkstore"
)

// Relay is the store of one relay. All methods are safe for concurrent use.
type Relay struct {
	db   *badger.DB
	opts Options
	log  *slog.Logger
	self envelope.Address
	lim  atomic.Pointer[limits] // SetLimits replaces them while the relay runs

	// Closing: operations run inside gate, between enter and leave; Close
	// shuts it and waits for them.
	gate  chunkstore.Gate
	blobs chunkstore.Blobs // envelope chunks under tagChunk

	// compactor compacts the database when enough was written (every
	// leave kicks it) and when the owner asks (Compact).
	compactor *chunkstore.Compactor

	// mu serialises index writes and membership changes, and guards
	// usage, fwd and members.
	mu      sync.Mutex
	usage   map[envelope.Address]*usage
	fwd     usage // totals over the usage entries with fwd set
	members int

	// commits groups the index writes of concurrent deposits and acks
	// into one transaction each, so that they share an fsync.
	commits *chunkstore.Committer[*wbatch]

	slots   chan struct{} // one per deposit in progress
	rate    *limiter
	watch   watchers
	kick    chan struct{} // ForwardKick; buffer 1
	counter counters
}

// counters are the activity figures since Open.
type counters struct {
	deposits, duplicates, refused, handOvers, forwarded, dropped, expired atomic.Uint64
}

// Open opens (creating if needed) the relay store in directory dir, deletes
// what an interrupted deposit or removal left behind, and counts what is
// held.
func Open(dir string, opts Options) (*Relay, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open relay %q: %w", dir, err)
	}
	db, err := chunkstore.Open(dir, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("open relay %q: %w", dir, err)
	}
	r := newRelay(db, opts)
	if err := r.sweep(); err != nil {
		r.compactor.Stop()
		return nil, errors.Join(fmt.Errorf("open relay %q: %w", dir, err), db.Close())
	}
	return r, nil
}

func newRelay(db *badger.DB, opts Options) *Relay {
	r := &Relay{
		db:    db,
		opts:  opts,
		log:   opts.Logger,
		usage: map[envelope.Address]*usage{},
		slots: make(chan struct{}, opts.MaxDeposits),
		rate:  newLimiter(),
		kick:  make(chan struct{}, 1),
	}
	copy(r.self[:], opts.Key.Public().(ed25519.PublicKey))
	r.lim.Store(limitsOf(opts))
	r.blobs = r.newBlobs()
	r.commits = r.newCommitter()
	r.watch.init(opts.MaxWatchers)
	r.compactor = chunkstore.StartCompactor(db, opts.Logger)
	return r
}

// Address is the relay's own address (the public half of Options.Key).
func (r *Relay) Address() envelope.Address { return r.self }

// Close waits for operations in progress, closes every watcher and the
// database. Readers from Open fail with ErrClosed afterwards. Closing twice
// returns ErrClosed.
func (r *Relay) Close() error {
	if !r.gate.Shut() {
		return ErrClosed
	}
	r.watch.closeAll()
	r.compactor.Stop()
	if err := r.db.Close(); err != nil {
		return fmt.Errorf("close relay: %w", err)
	}
	return nil
}

// enter marks the start of an operation; it fails once the relay is
// closing. Every successful enter is paired with leave.
func (r *Relay) enter() error {
	if !r.gate.Enter() {
		return ErrClosed
	}
	return nil
}

// leave marks the end of an operation and lets the compactor look at
// what the operation may have written.
func (r *Relay) leave() {
	r.gate.Leave()
	r.compactor.Kick()
}

// CollectGarbage compacts the store, then asks Badger to reclaim value-log
// space freed by handed-over and expired envelopes (a compaction is what
// tells Badger which values are garbage). The owner calls it from time to
// time (hourly, say).
func (r *Relay) CollectGarbage() error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	if err := r.compactor.Compact(); err != nil {
		return err
	}
	return chunkstore.CollectGarbage(r.db)
}

// Compact merges what the relay wrote since it last compacted into its
// lower levels and returns when that is done. The relay compacts by itself
// once enough was written, and when it closes; an owner calls Compact at a
// moment that suits it.
func (r *Relay) Compact() error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.gate.Leave()
	return r.compactor.Compact()
}

// Dump writes a consistent snapshot of the whole relay store (members,
// envelopes held, receipts, usage) to w while the relay runs;
// chunkstore.Load makes a database of it again.
func (r *Relay) Dump(w io.Writer) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.gate.Leave()
	return chunkstore.Dump(r.db, w)
}

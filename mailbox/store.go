package mailbox

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/internal/chunkstore"
)

// Defaults used when an Options field is zero.
const (
	DefaultMaxMessageSize = 256 << 20
	DefaultMaxOutboxCount = 10000
	DefaultMaxOutboxBytes = 2 << 30
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// MaxMessageSize bounds one body (Append; Enqueue allows the sealed size
	// of such a body, envelope.SealedSize); 0 means DefaultMaxMessageSize.
	MaxMessageSize int64
	// MaxOutboxCount bounds the number of queued envelopes; 0 means
	// DefaultMaxOutboxCount.
	MaxOutboxCount int
	// MaxOutboxBytes bounds the total size of queued envelopes; 0 means
	// DefaultMaxOutboxBytes.
	MaxOutboxBytes int64
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.MaxOutboxCount <= 0 {
		o.MaxOutboxCount = DefaultMaxOutboxCount
	}
	if o.MaxOutboxBytes <= 0 {
		o.MaxOutboxBytes = DefaultMaxOutboxBytes
	}
	return o
}

// Store is one user's mail store. All methods are safe for concurrent use.
type Store struct {
	db   *badger.DB
	log  *slog.Logger
	opts Options

	// Closing: every operation runs inside gate, between enter and leave;
	// Close shuts the gate, so no new operation starts, and waits for the
	// running ones. An operation that enters again while
	// active (an Append reading its body from an OpenMessage reader of the
	// same store) gets ErrClosed instead of a deadlock.
	gate  chunkstore.Gate
	blobs chunkstore.Blobs // body chunks under tagChunk

	// compactor compacts the database when enough was written (every
	// leave kicks it) and when the owner asks (Compact).
	compactor *chunkstore.Compactor

	// mu serialises index writes (see the package comment) and guards
	// the outbox totals.
	mu       sync.Mutex
	outCount int
	outBytes int64
	// sent is the Sent mailbox (sentMailboxIn) as the committed index
	// has it, if sentKnown; a batch that adds, renames or deletes a
	// mailbox forgets it (finish). Finding it anew reads every mailbox
	// record, and with them every version of each that Badger still
	// keeps, on every submission.
	sent      string
	sentKnown bool

	// commits groups concurrent small index writes (Append, Enqueue,
	// outbox updates and deletes, flag changes of a few messages) into
	// one transaction each, so that they share an fsync.
	commits *chunkstore.Committer[*batch]

	watch watchers
}

// Open opens (creating if needed) the store in directory dir, creates the
// default mailboxes on first use and sweeps what an interrupted write left.
func Open(dir string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	db, err := chunkstore.Open(dir, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("open store %q: %w", dir, err)
	}
	s := &Store{db: db, log: opts.Logger, opts: opts}
	s.blobs = s.newBlobs()
	s.commits = s.newCommitter()
	s.watch.init()
	s.compactor = chunkstore.StartCompactor(db, opts.Logger)
	if err := s.start(); err != nil {
		s.compactor.Stop()
		return nil, errors.Join(fmt.Errorf("open store %q: %w", dir, err), db.Close())
	}
	return s, nil
}

// start prepares a freshly opened database.
func (s *Store) start() error {
	if err := s.createDefaults(); err != nil {
		return err
	}
	if err := s.sweep(); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return s.countOutbox()
}

// Close waits for operations in progress (an Append waits for its body),
// then closes the store: watchers are closed with ErrClosed and the
// database is flushed. Readers from OpenMessage and OpenOutbound fail with
// ErrClosed afterwards. Closing twice returns ErrClosed.
func (s *Store) Close() error {
	if !s.gate.Shut() {
		return ErrClosed
	}
	s.watch.closeAll(ErrClosed)
	s.compactor.Stop()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// enter marks the start of an operation; it fails once the store is
// closing. Every successful enter is paired with leave.
func (s *Store) enter() error {
	if !s.gate.Enter() {
		return ErrClosed
	}
	return nil
}

// leave marks the end of an operation and lets the compactor look at
// what the operation may have written.
func (s *Store) leave() {
	s.gate.Leave()
	s.compactor.Kick()
}

// Setting returns the value stored under key, or ErrNotFound.
func (s *Store) Setting(key string) ([]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var v []byte
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		v, err = getValue(txn, settingKey(key))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read setting %q: %w", key, err)
	}
	return v, nil
}

// SetSetting durably stores value under key.
func (s *Store) SetSetting(key string, value []byte) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if key == "" {
		return fmt.Errorf("write setting: empty key")
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(settingKey(key), append([]byte(nil), value...))
	})
	if err != nil {
		return fmt.Errorf("write setting %q: %w", key, err)
	}
	return nil
}

// CollectGarbage compacts the store, then asks Badger to reclaim
// value-log space freed by expunged messages and delivered envelopes (a
// compaction is what tells Badger which values are garbage). The owner of
// the Store calls it from time to time (for example hourly); it returns
// nil when nothing was done.
func (s *Store) CollectGarbage() error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.compactor.Compact(); err != nil {
		return err
	}
	return chunkstore.CollectGarbage(s.db)
}

// Compact merges what the store wrote since it last compacted into its
// lower levels and returns when that is done. The store compacts by itself
// once enough was written, and when it closes; an owner calls Compact at a
// moment that suits it, for example when a phone app comes to the
// foreground.
func (s *Store) Compact() error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.gate.Leave()
	return s.compactor.Compact()
}

// getValue reads key, mapping a missing key to ErrNotFound.
func getValue(txn *badger.Txn, key []byte) ([]byte, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// Dump writes a consistent snapshot of the whole store (mailboxes,
// messages and bodies, outbox, settings) to w, while the store is in use;
// chunkstore.Load makes a database of it again.
func (s *Store) Dump(w io.Writer) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return chunkstore.Dump(s.db, w)
}

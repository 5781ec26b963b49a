package mailbox

import (
	"errors"
	"log/slog"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

var errNotImplemented = errors.New("not implemented")

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
	// MaxMessageSize bounds one body (Append and Enqueue); 0 means
	// DefaultMaxMessageSize.
	MaxMessageSize int64
	// MaxOutboxCount bounds the number of queued envelopes; 0 means
	// DefaultMaxOutboxCount.
	MaxOutboxCount int
	// MaxOutboxBytes bounds the total size of queued envelopes; 0 means
	// DefaultMaxOutboxBytes.
	MaxOutboxBytes int64
}

// Store is one user's mail store. All methods are safe for concurrent use.
type Store struct {
	db   *badger.DB
	log  *slog.Logger
	opts Options

	mu sync.Mutex // serialises index writes; see the package comment
}

// Open opens (creating if needed) the store in directory dir, creates the
// default mailboxes on first use and sweeps what an interrupted write left.
func Open(dir string, opts Options) (*Store, error) {
	return nil, errNotImplemented
}

// Close closes the store: watchers are closed and the database is flushed.
// Readers from OpenMessage and OpenOutbound must be closed first.
func (s *Store) Close() error {
	return errNotImplemented
}

// Setting returns the value stored under key, or ErrNotFound.
func (s *Store) Setting(key string) ([]byte, error) {
	return nil, errNotImplemented
}

// SetSetting durably stores value under key.
func (s *Store) SetSetting(key string, value []byte) error {
	return errNotImplemented
}

// CollectGarbage asks Badger to reclaim value-log space freed by expunged
// messages and delivered envelopes. The owner of the Store calls it from
// time to time (for example hourly); it returns nil when nothing was done.
func (s *Store) CollectGarbage() error {
	return errNotImplemented
}

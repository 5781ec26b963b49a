package chunkstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Open opens (creating if needed) the Badger database in dir with every
// commit fsynced before it returns, values of ValueThreshold bytes or more
// in the value log, memory bounded for a small node, and nothing of
// Badger's that wakes more often than once a minute while the database is
// idle: no background compactors (the caller runs a Compactor) and no
// block cache (its cache wakes every 2.5 s). Without a block cache tables
// must be uncompressed, which lets Badger read their blocks straight from
// the memory-mapped file; tables an older version wrote compressed stay
// readable and are rewritten uncompressed as they are compacted. Badger's
// messages go to log; nil discards them.
func Open(dir string, log *slog.Logger) (*badger.DB, error) {
	db, err := badger.Open(openOptions(dir, log))
	if err != nil {
		return nil, fmt.Errorf("open badger %q: %w", dir, err)
	}
	return db, nil
}

// openOptions are the Badger options Open uses.
func openOptions(dir string, log *slog.Logger) badger.Options {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(badgerLogger{log}).
		WithValueThreshold(ValueThreshold).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithNumCompactors(0).
		WithCompactL0OnClose(true).
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithValueLogFileSize(256 << 20)
}

// CollectGarbage asks Badger to rewrite value-log files that are at least
// half garbage (deleted chunks), until none is left; it returns nil when
// there was nothing to do.
func CollectGarbage(db *badger.DB) error {
	for {
		err := db.RunValueLogGC(0.5)
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

// Dump writes a consistent snapshot of db, the latest version of every
// live key, to w in Badger's backup format (a stream of protobuf key
// lists). It reads from one read timestamp, so writes that go on meanwhile
// are either wholly in it or not at all.
func Dump(db *badger.DB, w io.Writer) error {
	if _, err := db.Backup(w, 0); err != nil {
		return fmt.Errorf("dump database: %w", err)
	}
	return nil
}

// Load creates the database in dir from a Dump read from r, and closes
// it. dir should be new: keys already there are overwritten. On error
// what was loaded stays in dir for the caller to remove.
func Load(dir string, r io.Reader, log *slog.Logger) error {
	db, err := Open(dir, log)
	if err != nil {
		return err
	}
	if err := db.Load(r, 64); err != nil {
		db.Close()
		return fmt.Errorf("load database into %q: %w", dir, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("load database into %q: %w", dir, err)
	}
	return nil
}

package chunkstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/dgraph-io/badger/v4"
)

// Open opens (creating if needed) the Badger database in dir with every
// commit fsynced before it returns, values of ValueThreshold bytes or more
// in the value log, and memory bounded for a small node. Badger's messages
// go to log; nil discards them.
func Open(dir string, log *slog.Logger) (*badger.DB, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	bo := badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(badgerLogger{log}).
		WithValueThreshold(ValueThreshold).
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(8 << 20).
		WithValueLogFileSize(256 << 20)
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("open badger %q: %w", dir, err)
	}
	return db, nil
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

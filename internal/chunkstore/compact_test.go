package chunkstore

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/internal/testkit"
)

// openSmallTables opens a database as Open does but with 1 MiB memtables,
// so that a test fills level 0 with a few MiB of writes.
func openSmallTables(t *testing.T, dir string) *badger.DB {
	t.Helper()
	db, err := badger.Open(openOptions(dir, nil).WithMemTableSize(1 << 20))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// writeRound overwrites keys 0..n-1 with values of size bytes tagged with
// round, in batches.
func writeRound(t *testing.T, db *badger.DB, round, n, size int) {
	t.Helper()
	wb := db.NewWriteBatch()
	for i := range n {
		v := bytes.Repeat([]byte{byte(round)}, size)
		if err := wb.Set(fmt.Appendf(nil, "k%06d", i), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.Flush(); err != nil {
		t.Fatal(err)
	}
}

// lsmSize is the bytes of every table in every level.
func lsmSize(db *badger.DB) (size int64) {
	for _, l := range db.Levels() {
		size += l.Size
	}
	return size
}

// TestCompactorKeepsLevelZeroAndTheStoreBounded writes the same keys over
// and over, far more than level 0 takes before Badger stalls writes,
// kicking the compactor after each round as a store does after each
// operation: no write stalls, level 0 stays below the stall, the tables do
// not grow with the overwrites, and every key reads its last value.
func TestCompactorKeepsLevelZeroAndTheStoreBounded(t *testing.T) {
	db := openSmallTables(t, t.TempDir())
	c := StartCompactor(db, nil)
	const keys, size, rounds = 2000, 1000, 16 // 2 MB a round, 32 MB in all
	maxL0 := 0
	for round := range rounds {
		writeRound(t, db, round, keys, size)
		c.Kick()
		maxL0 = max(maxL0, level0Tables(db))
	}
	testkit.WaitFor(t, 10*time.Second, "level 0 below the compaction threshold", func() bool {
		return level0Tables(db) < compactAtTables
	})
	if maxL0 >= db.Opts().NumLevelZeroTablesStall {
		t.Errorf("level 0 reached %d tables, the stall", maxL0)
	}
	// Level 0 holds at most compactAtTables memtables of 1 MiB before a
	// compaction; below it, the live values and what a compaction in
	// progress has not yet dropped.
	if got, limit := lsmSize(db), int64(compactAtTables<<20+2*keys*size); got > limit {
		t.Errorf("tables hold %d bytes after %d rounds over %d bytes of keys; want at most %d", got, rounds, keys*size, limit)
	}
	t.Logf("level 0 peaked at %d tables; tables hold %d bytes for %d bytes of live values", maxL0, lsmSize(db), keys*size)
	err := db.View(func(txn *badger.Txn) error {
		for i := range keys {
			item, err := txn.Get(fmt.Appendf(nil, "k%06d", i))
			if err != nil {
				return err
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if len(v) != size || v[0] != byte(rounds-1) {
				return fmt.Errorf("key %d: %d bytes of %d, want %d bytes of %d", i, len(v), v[0], size, rounds-1)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Stop()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCloseAndCompactEmptyLevelZero checks the two compactions an owner
// gets without writing much: the one Badger runs on close, which moves
// tables out of level 0 (only those whose keys overlap the first, so not
// always all of them), and Compact on demand, which empties it.
func TestCloseAndCompactEmptyLevelZero(t *testing.T) {
	dir := t.TempDir()
	db := openSmallTables(t, dir)
	c := StartCompactor(db, nil)
	writeRound(t, db, 1, 2000, 1000) // two memtables' worth
	c.Stop()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openSmallTables(t, dir)
	defer db.Close()
	c = StartCompactor(db, nil)
	defer c.Stop()
	if below := lsmSize(db) - db.Levels()[0].Size; below == 0 {
		t.Errorf("after close and reopen every table is still in level 0")
	}
	writeRound(t, db, 2, 2000, 1000)
	testkit.WaitFor(t, 10*time.Second, "a flushed memtable in level 0", func() bool { return level0Tables(db) > 0 })
	// A memtable may still be flushing into level 0 after one Compact;
	// the next one takes it.
	testkit.WaitFor(t, 10*time.Second, "level 0 empty after Compact", func() bool {
		if err := c.Compact(); err != nil {
			t.Fatal(err)
		}
		return level0Tables(db) == 0
	})
}

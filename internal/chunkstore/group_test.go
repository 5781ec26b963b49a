package chunkstore

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/internal/testkit"
)

// testBatch is a Batch over one Badger transaction; hold, when locked by
// a test, keeps the leader from starting its batch, so that the callers
// after it queue up into one group.
type testBatch struct {
	g      *testGroup
	txn    *badger.Txn
	writes int
}

type testGroup struct {
	db      *badger.DB
	hold    sync.Mutex
	begun   atomic.Int32 // batches asked for
	mu      sync.Mutex
	commits int
	sizes   []int // operations per committed batch
	ops     int   // in the batch being built
	c       *Committer[*testBatch]
}

func newTestGroup(t *testing.T) *testGroup {
	b := openBlobs(t)
	g := &testGroup{db: b.DB}
	g.c = NewCommitter(func(bool) *testBatch {
		g.begun.Add(1)
		g.hold.Lock()
		g.ops = 0
		return &testBatch{g: g, txn: g.db.NewTransaction(true)}
	}, 8, 1<<20)
	return g
}

func (b *testBatch) Writes() int { return b.writes }

func (b *testBatch) Commit() error {
	if err := b.txn.Commit(); err != nil {
		return err
	}
	b.g.mu.Lock()
	b.g.commits++
	b.g.sizes = append(b.g.sizes, b.g.ops)
	b.g.mu.Unlock()
	return nil
}

func (b *testBatch) End() {
	b.txn.Discard()
	b.g.hold.Unlock()
}

var errRefused = errors.New("refused")

// put is an operation writing key k, refusing an existing key before
// writing, and failing after writing when fail is set.
func (g *testGroup) put(k string, fail bool) error {
	return g.c.Do(1, func(b *testBatch) error {
		g.ops++
		if _, err := b.txn.Get([]byte(k)); err == nil {
			return fmt.Errorf("%s: %w", k, errRefused)
		}
		b.writes++
		if err := b.txn.Set([]byte(k), []byte("v")); err != nil {
			return err
		}
		if fail {
			return fmt.Errorf("%s: failed after writing", k)
		}
		return nil
	})
}

// burst runs a put of each key: the first leads and is held as it starts
// its batch until all have queued. It returns each put's error.
func (g *testGroup) burst(t *testing.T, keys []string, fail string) []error {
	t.Helper()
	g.hold.Lock()
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() { errs[i] = g.put(k, k == fail) })
		if i == 0 {
			testkit.WaitFor(t, 5*time.Second, "the leader", func() bool { return g.begun.Load() == 1 })
		}
	}
	testkit.WaitFor(t, 5*time.Second, "the callers to queue", func() bool { return g.c.Queued() == len(keys) })
	g.hold.Unlock()
	wg.Wait()
	return errs
}

func (g *testGroup) has(t *testing.T, k string) bool {
	t.Helper()
	err := g.db.View(func(txn *badger.Txn) error { _, err := txn.Get([]byte(k)); return err })
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// TestCommitterGroups: callers that queue while a batch starts share its
// commit; a group is bounded by maxOps.
func TestCommitterGroups(t *testing.T) {
	g := newTestGroup(t)
	var keys []string
	for i := range 12 {
		keys = append(keys, fmt.Sprint("k", i))
	}
	for i, err := range g.burst(t, keys, "") {
		if err != nil || !g.has(t, keys[i]) {
			t.Fatalf("put %s: %v, stored %v", keys[i], err, g.has(t, keys[i]))
		}
	}
	// The 12 that queued, in groups of at most 8.
	if g.commits != 2 || g.sizes[0] != 8 || g.sizes[1] != 4 {
		t.Fatalf("%d commits of %v operations, want 2 of [8 4]", g.commits, g.sizes)
	}
}

// TestCommitterLoneCaller: a caller alone commits at once, one commit per
// operation.
func TestCommitterLoneCaller(t *testing.T) {
	g := newTestGroup(t)
	for i := range 3 {
		if err := g.put(fmt.Sprint("k", i), false); err != nil {
			t.Fatal(err)
		}
	}
	if g.commits != 3 {
		t.Fatalf("%d commits for 3 lone operations", g.commits)
	}
}

// TestCommitterRefusal: an operation refused before it writes (here a key
// written earlier in the same group) fails alone; the group commits once.
func TestCommitterRefusal(t *testing.T) {
	g := newTestGroup(t)
	errs := g.burst(t, []string{"lead", "a", "b", "b", "c"}, "")
	for i, err := range errs {
		if i != 2 && i != 3 && err != nil {
			t.Errorf("put %d: %v", i, err)
		}
	}
	if (errs[2] == nil) == (errs[3] == nil) || !errors.Is(errors.Join(errs[2], errs[3]), errRefused) {
		t.Errorf("the two puts of b: %v, %v; want one refused", errs[2], errs[3])
	}
	for _, k := range []string{"lead", "a", "b", "c"} {
		if !g.has(t, k) {
			t.Errorf("%s not stored", k)
		}
	}
	if g.commits != 1 || g.sizes[0] != 5 {
		t.Fatalf("%d commits of %v operations, want 5 together", g.commits, g.sizes)
	}
}

// TestCommitterFailureAfterWriting: an operation that fails after writing
// discards its group's batch; the others run again alone and succeed, and
// nothing of the failed one is stored.
func TestCommitterFailureAfterWriting(t *testing.T) {
	g := newTestGroup(t)
	keys := []string{"lead", "a", "bad", "c"}
	errs := g.burst(t, keys, "bad")
	for i, k := range keys {
		if (k == "bad") != (errs[i] != nil) || (k == "bad") == g.has(t, k) {
			t.Errorf("put %s: %v, stored %v", k, errs[i], g.has(t, k))
		}
	}
	// lead, a and c alone (the failed one commits nothing).
	if g.commits != 3 {
		t.Fatalf("%d commits (sizes %v), want 3", g.commits, g.sizes)
	}
}

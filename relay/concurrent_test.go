package relay

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// TestConcurrentDuplicates deposits the same multi-chunk envelope from
// eight goroutines at once: one copy is stored, the others are told it is
// a duplicate, and no chunks of the losers remain.
func TestConcurrentDuplicates(t *testing.T) {
	r, _, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	env, id := seal(t, aliceKey, bobAddr, randomBody(5*chunkSize, 4))
	var wg sync.WaitGroup
	receipts := make([]CustodyReceipt, 8)
	errs := make([]error, 8)
	for i := range receipts {
		wg.Go(func() {
			receipts[i], errs[i] = r.Deposit(aliceAddr, int64(len(env)), bytes.NewReader(env))
		})
	}
	wg.Wait()
	fresh := 0
	for i, rc := range receipts {
		if errs[i] != nil {
			t.Fatalf("deposit %d: %v", i, errs[i])
		}
		if !rc.Duplicate {
			fresh++
		}
		if rc.Received != receipts[0].Received || rc.ID != id {
			t.Fatalf("receipts disagree: %+v vs %+v", rc, receipts[0])
		}
	}
	if fresh != 1 {
		t.Fatalf("%d deposits stored the envelope, want 1", fresh)
	}
	if keys, _ := r.keysWithPrefix([]byte{tagChunk}); len(keys) != 6 {
		t.Fatalf("%d chunks on disk, want the 6 of one copy", len(keys))
	}
	if s := r.Status(); s.Envelopes != 1 || s.Deposits != 1 || s.Duplicates != 7 || s.Bytes != int64(len(env)) {
		t.Fatalf("Status = %+v", s)
	}
}

// TestCorruptRecord: an undecodable record is skipped in listings and
// reported as ErrCorrupt where it is asked for.
func TestCorruptRecord(t *testing.T) {
	r, _, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	good, goodID := seal(t, aliceKey, bobAddr, []byte("good"))
	deposit(t, r, good)
	bad, badID := seal(t, aliceKey, bobAddr, []byte("bad"))
	deposit(t, r, bad)
	err := r.db.Update(func(txn *badger.Txn) error { return txn.Set(heldKey(bobAddr, badID), []byte{9, 9}) })
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Pending(bobAddr)
	if err != nil || len(p) != 1 || p[0].ID != goodID {
		t.Fatalf("Pending = %+v, %v", p, err)
	}
	if _, _, err := r.Open(bobAddr, badID); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open corrupt: %v", err)
	}
}

func TestOptionsAndTemporary(t *testing.T) {
	if _, err := Open(t.TempDir(), Options{}); err == nil {
		t.Fatal("Open without a key succeeded")
	}
	if _, err := Open(t.TempDir(), Options{Key: relayKey, Policy: Policy(7)}); err == nil {
		t.Fatal("Open with an unknown policy succeeded")
	}
	for _, e := range []error{ErrQuotaBytes, ErrQuotaCount, ErrRateLimited, ErrBusy} {
		if !Temporary(e) {
			t.Errorf("%v not temporary", e)
		}
	}
	for _, e := range []error{ErrNotMember, ErrTooLarge, ErrMalformed} {
		if Temporary(e) {
			t.Errorf("%v temporary", e)
		}
	}
}

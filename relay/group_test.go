package relay

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
)

// inOneGroup runs ops so that they commit as one group (up to
// maxGroupOps): see testkit.InOneGroup.
func inOneGroup(t *testing.T, r *Relay, ops []func()) {
	t.Helper()
	testkit.InOneGroup(t, &r.mu, r.commits.Queued, ops)
}

// depositCommit commits env for its recipient as Deposit does once the
// quota is reserved and the bytes are read.
func depositCommit(r *Relay, env []byte) (CustodyReceipt, error) {
	hdr, err := envelope.ReadHeader(bytes.NewReader(env))
	if err != nil {
		return CustodyReceipt{}, err
	}
	b, err := r.takeBlob(bytes.NewReader(env))
	if err != nil {
		return CustodyReceipt{}, err
	}
	reserved := false // the test reserves nothing
	return r.commit(aliceAddr, hdr.Recipient, hdr.ID, b, &reserved)
}

// TestGroupedDepositsAndAcks: 32 deposits in one group commit, seven of
// them repeating another's envelope and one for a non-member, then the
// acks of all in one group, some of ids not held, one an AckAll. Each
// envelope is held once, the repeats get the first's receipt, the
// refusal and the acks of ids not held fail alone, and the counters agree.
func TestGroupedDepositsAndAcks(t *testing.T) {
	r, _, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	envs := make([][]byte, 24)
	ids := make([]envelope.ID, 24)
	for i := range envs {
		envs[i], ids[i] = seal(t, aliceKey, bobAddr, randomBody(1000, uint64(i)))
	}
	stranger, _ := seal(t, aliceKey, carolAddr, []byte("not a member"))
	receipts := make([]CustodyReceipt, 32)
	errs := make([]error, 32)
	var ops []func()
	for i := range 31 {
		ops = append(ops, func() { receipts[i], errs[i] = depositCommit(r, envs[i%24]) })
	}
	ops = append(ops, func() { receipts[31], errs[31] = depositCommit(r, stranger) })
	inOneGroup(t, r, ops)
	if !errors.Is(errs[31], ErrNotMember) {
		t.Errorf("deposit for a non-member: %v", errs[31])
	}
	var size int64
	for i := range 31 {
		// Of a pair i, i+24 either may come first.
		pair := i < 7 || i >= 24
		if errs[i] != nil || !pair && receipts[i].Duplicate || receipts[i].Received != receipts[i%24].Received {
			t.Fatalf("deposit %d: %+v, %v", i, receipts[i], errs[i])
		}
		if i < 7 && receipts[i].Duplicate == receipts[i+24].Duplicate {
			t.Fatalf("deposits %d and %d: duplicate %v and %v", i, i+24, receipts[i].Duplicate, receipts[i+24].Duplicate)
		}
		if i < 24 {
			size += int64(len(envs[i]))
		}
	}
	if s := r.Status(); s.Envelopes != 24 || s.Bytes != size || s.Deposits != 24 || s.Duplicates != 7 {
		t.Fatalf("Status after the deposits: %+v", s)
	}
	if v := heldCommits(t, r); len(v) != 1 {
		t.Fatalf("records written in %d commits, want 1", len(v))
	}
	for i, id := range ids {
		if !bytes.Equal(fetch(t, r, bobAddr, id), envs[i]) {
			t.Fatalf("envelope %d damaged", i)
		}
	}

	ackErrs := make([]error, 22)
	ops = nil
	for i := range 20 {
		ops = append(ops, func() { ackErrs[i] = r.Ack(bobAddr, ids[i]) })
	}
	ops = append(ops, func() { ackErrs[20] = r.Ack(bobAddr, envelope.ID{9}) })
	ops = append(ops, func() { ackErrs[21] = r.AckAll(bobAddr, append(ids[20:], ids[20], envelope.ID{9})) })
	inOneGroup(t, r, ops)
	for i, err := range ackErrs {
		if (i == 20) != errors.Is(err, ErrNotHeld) || i != 20 && err != nil {
			t.Errorf("ack %d: %v", i, err)
		}
	}
	if s := r.Status(); s.Envelopes != 0 || s.Bytes != 0 || s.HandOvers != 24 {
		t.Fatalf("Status after the acks: %+v", s)
	}
	if keys, _ := r.keysWithPrefix([]byte{tagChunk}); len(keys) != 0 {
		t.Fatalf("%d chunks left after every envelope was acked", len(keys))
	}
}

// heldCommits returns the commit timestamps of the held records.
func heldCommits(t *testing.T, r *Relay) map[uint64]bool {
	t.Helper()
	versions := map[uint64]bool{}
	err := r.db.View(func(txn *badger.Txn) error {
		it := keyIterator(txn, []byte{tagHeld})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			versions[it.Item().Version()] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

// TestConcurrentDepositsQuota: 32 deposits at once for a member with room
// for 20: exactly 20 are held, the rest refused with ErrQuotaCount, and
// the usage matches; then AckAll and Ack from many goroutines empty it.
func TestConcurrentDepositsQuota(t *testing.T) {
	r, _, _ := testRelay(t, func(o *Options) { o.MemberEnvelopes, o.MaxDeposits = 20, 64 })
	register(t, r, bobKey, "")
	envs := make([][]byte, 32)
	for i := range envs {
		envs[i], _ = seal(t, aliceKey, bobAddr, randomBody(1000, uint64(i)))
	}
	errs := make([]error, 32)
	var wg sync.WaitGroup
	for i := range envs {
		wg.Go(func() { _, errs[i] = r.Deposit(aliceAddr, int64(len(envs[i])), bytes.NewReader(envs[i])) })
	}
	wg.Wait()
	held := 0
	for i, err := range errs {
		switch {
		case err == nil:
			held++
		case !errors.Is(err, ErrQuotaCount):
			t.Fatalf("deposit %d: %v", i, err)
		}
	}
	p, err := r.Pending(bobAddr)
	if s := r.Status(); held != 20 || err != nil || len(p) != 20 || s.Envelopes != 20 || s.Refused != 12 {
		t.Fatalf("%d held, %d pending (%v), Status %+v", held, len(p), err, s)
	}
	for i := range 10 {
		wg.Go(func() {
			if i%2 == 0 {
				errs[i] = r.AckAll(bobAddr, []envelope.ID{p[i].ID, p[i+10].ID})
			} else {
				errs[i] = errors.Join(r.Ack(bobAddr, p[i].ID), r.Ack(bobAddr, p[i+10].ID))
			}
		})
	}
	wg.Wait()
	for i, err := range errs[:10] {
		if err != nil {
			t.Fatalf("ack %d: %v", i, err)
		}
	}
	if s := r.Status(); s.Envelopes != 0 || s.Bytes != 0 || s.HandOvers != 20 {
		t.Fatalf("Status after the acks: %+v", s)
	}
}

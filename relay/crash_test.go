package relay

import (
	"bytes"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// TestCrashBetweenChunksAndIndex leaves what a crash after the chunks of a
// large deposit, before its record, would leave, and checks Open deletes
// it while keeping committed envelopes.
func TestCrashBetweenChunksAndIndex(t *testing.T) {
	r, _, dir := testRelay(t, nil)
	register(t, r, bobKey, "")
	kept, keptID := seal(t, aliceKey, bobAddr, randomBody(3*chunkSize, 1))
	deposit(t, r, kept)
	lost, _ := seal(t, aliceKey, bobAddr, randomBody(40*chunkSize, 2))
	b, err := r.takeBlob(bytes.NewReader(lost))
	if err != nil || b.small != nil || b.size != int64(len(lost)) {
		t.Fatalf("takeBlob = %+v, %v", b.size, err)
	}
	before, _ := r.keysWithPrefix(chunkPrefix(b.id))
	if len(before) != 41 {
		t.Fatalf("%d chunks of the interrupted deposit on disk, want 41", len(before))
	}
	opts := r.opts
	r.Close() // the "crash": no record was committed
	r = reopen(t, dir, opts)
	if after, _ := r.keysWithPrefix(chunkPrefix(b.id)); len(after) != 0 {
		t.Fatalf("%d orphan chunks survived Open", len(after))
	}
	if got := fetch(t, r, bobAddr, keptID); !bytes.Equal(got, kept) {
		t.Fatal("committed envelope damaged by the sweep")
	}
	if s := r.Status(); s.Envelopes != 1 || s.Bytes != int64(len(kept)) {
		t.Fatalf("Status = %+v", s)
	}
}

// TestCrashDuringUnregister leaves held records of a removed member and its
// removal mark, as an Unregister interrupted after its first commit would,
// and checks Open deletes them, their chunks and the mark.
func TestCrashDuringUnregister(t *testing.T) {
	r, _, dir := testRelay(t, nil)
	register(t, r, bobKey, "")
	register(t, r, carolKey, "")
	env, _ := seal(t, aliceKey, bobAddr, randomBody(2*chunkSize, 1))
	deposit(t, r, env)
	envC, idC := seal(t, aliceKey, carolAddr, []byte("carol"))
	deposit(t, r, envC)
	err := r.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(goneKey(bobAddr), []byte{recordVersion}); err != nil {
			return err
		}
		return txn.Delete(memberKey(bobAddr))
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := r.opts
	r.Close()
	r = reopen(t, dir, opts)
	if p, _ := r.Pending(bobAddr); len(p) != 0 {
		t.Fatalf("%d envelopes of a removed member left", len(p))
	}
	if keys, _ := r.keysWithPrefix([]byte{tagChunk}); len(keys) != 1 {
		t.Fatalf("%d chunks left, want carol's one", len(keys))
	}
	if got := fetch(t, r, carolAddr, idC); !bytes.Equal(got, envC) {
		t.Fatal("carol's envelope damaged")
	}
	if s := r.Status(); s.Members != 1 || s.Envelopes != 1 || s.Forwarding != 0 {
		t.Fatalf("Status = %+v", s)
	}
	if marks, _ := r.keysWithPrefix([]byte{tagGone}); len(marks) != 0 {
		t.Fatalf("%d removal marks left", len(marks))
	}
}

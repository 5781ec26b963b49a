package chunkstore

import (
	"bytes"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestSweepOrphans(t *testing.T) {
	b := openBlobs(t)
	var ps []Pending
	for i := range 4 {
		p, err := b.Take(bytes.NewReader(randomBytes(ChunkSize+1+100*i, uint64(i))), 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	stray := Key(tag, []byte("not a chunk key"))
	if err := b.DB.Update(func(txn *badger.Txn) error { return txn.Set(stray, []byte("x")) }); err != nil {
		t.Fatal(err)
	}
	referenced := map[ID]bool{ps[0].ID: true, ps[2].ID: true}
	asked := map[ID]int{}
	n, err := b.Sweep(func(_ *badger.Txn, id ID) bool {
		asked[id]++
		return referenced[id]
	})
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2 orphans", n, err)
	}
	for i, p := range ps {
		if asked[p.ID] != 1 {
			t.Errorf("blob %d asked about %d times, want once", i, asked[p.ID])
		}
		keys, _ := KeysWithPrefix(b.DB, b.Prefix(p.ID))
		if want := map[bool]int{true: 2, false: 0}[referenced[p.ID]]; len(keys) != want {
			t.Errorf("blob %d: %d chunks after sweep, want %d", i, len(keys), want)
		}
	}
	if keys, _ := KeysWithPrefix(b.DB, stray); len(keys) != 1 {
		t.Errorf("sweep touched a key that is not a chunk key")
	}
	if n, err := b.Sweep(func(*badger.Txn, ID) bool { return true }); n != 0 || err != nil {
		t.Errorf("second Sweep = %d, %v", n, err)
	}
}

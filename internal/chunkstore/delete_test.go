package chunkstore

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestDeleteByPrefix(t *testing.T) {
	b := openBlobs(t)
	var ps []Pending
	for i := range 3 {
		p, err := b.Take(bytes.NewReader(randomBytes(2*ChunkSize+1+i, uint64(i))), 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if err := b.Delete(ps[1].ID); err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		keys, err := KeysWithPrefix(b.DB, b.Prefix(p.ID))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 0, false: 3}[i == 1]; len(keys) != want {
			t.Errorf("blob %d: %d chunks, want %d", i, len(keys), want)
		}
	}
	if err := b.Delete(ps[1].ID); err != nil {
		t.Errorf("deleting a deleted blob: %v", err)
	}
}

func TestDeleteKeysBounded(t *testing.T) {
	b := openBlobs(t)
	const n, per = 23, 5
	var keys [][]byte
	for i := range n {
		keys = append(keys, Key('k', []byte(fmt.Sprintf("%03d", i))))
	}
	err := b.DB.Update(func(txn *badger.Txn) error {
		for _, k := range keys {
			if err := txn.Set(k, []byte("v")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := DeleteKeys(b.DB, keys, per); err != nil {
		t.Fatal(err)
	}
	if left, _ := KeysWithPrefix(b.DB, []byte{'k'}); len(left) != 0 {
		t.Fatalf("%d keys left", len(left))
	}
	txns := commitVersions(t, b.DB, []byte{'k'}, true)
	if len(txns) != (n+per-1)/per {
		t.Errorf("%d deletions in %d transactions, want %d: %v", n, len(txns), (n+per-1)/per, txns)
	}
	for v, c := range txns {
		if c > per {
			t.Errorf("transaction %d deleted %d keys, over %d", v, c, per)
		}
	}
}

func TestKeyLayout(t *testing.T) {
	id := ID{1, 2, 3}
	k := ChunkKey('c', id, 0x01020304)
	want := append(append([]byte{'c'}, id[:]...), 1, 2, 3, 4)
	if !bytes.Equal(k, want) || !bytes.HasPrefix(k, Prefix('c', id)) {
		t.Fatalf("ChunkKey = %x, want %x", k, want)
	}
	if got, n, ok := ParseChunkKey('c', k); !ok || got != id || n != 0x01020304 {
		t.Errorf("ParseChunkKey = %x %d %v", got, n, ok)
	}
	for _, bad := range [][]byte{nil, {'c'}, k[:len(k)-1], append(k, 0), ChunkKey('x', id, 1)} {
		if _, _, ok := ParseChunkKey('c', bad); ok {
			t.Errorf("ParseChunkKey(%x) accepted", bad)
		}
	}
	if got := Key('s', []byte("ab"), BE32(7)); !bytes.Equal(got, []byte{'s', 'a', 'b', 0, 0, 0, 7}) {
		t.Errorf("Key = %x", got)
	}
}

func FuzzParseChunkKey(f *testing.F) {
	f.Add(ChunkKey('c', ID{9}, 3))
	f.Add([]byte("c"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, k []byte) {
		id, n, ok := ParseChunkKey('c', k)
		if ok != bytes.Equal(k, ChunkKey('c', id, n)) {
			t.Fatalf("ParseChunkKey(%x) = %x %d %v, which does not round-trip", k, id, n, ok)
		}
	})
}

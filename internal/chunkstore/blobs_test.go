package chunkstore

import (
	"bytes"
	"errors"
	"testing"
)

func TestTakeReadBack(t *testing.T) {
	b := openBlobs(t)
	sizes := []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17, ChunksPerTxn*ChunkSize + 1}
	for i, n := range sizes {
		want := randomBytes(n, uint64(i))
		p, err := b.Take(bytes.NewReader(want), int64(n))
		if err != nil {
			t.Fatalf("Take %d bytes: %v", n, err)
		}
		if p.Size != int64(n) || p.Stored() != (n >= ChunkSize) {
			t.Fatalf("Take %d bytes: size %d, stored %v", n, p.Size, p.Stored())
		}
		commitSmall(t, b, p)
		got, err := readAll(t, b, p.ID, p.Size)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("read back %d bytes: got %d bytes, equal %v, err %v", n, len(got), bytes.Equal(got, want), err)
		}
		keys, _ := KeysWithPrefix(b.DB, b.Prefix(p.ID))
		if wantChunks := (n + ChunkSize - 1) / ChunkSize; len(keys) != wantChunks {
			t.Errorf("%d bytes in %d chunks, want %d", n, len(keys), wantChunks)
		}
	}
}

func TestWriteBoundedTransactions(t *testing.T) {
	b := openBlobs(t)
	id, _ := NewID()
	const chunks = 2*ChunksPerTxn + 3
	want := randomBytes(chunks*ChunkSize-5, 1)
	size, err := b.Write(id, bytes.NewReader(want), int64(len(want)))
	if err != nil || size != int64(len(want)) {
		t.Fatalf("Write = %d, %v", size, err)
	}
	per := commitVersions(t, b.DB, b.Prefix(id), false)
	if len(per) != 3 {
		t.Errorf("%d chunks committed in %d transactions, want 3: %v", chunks, len(per), per)
	}
	for v, n := range per {
		if n > ChunksPerTxn {
			t.Errorf("transaction %d wrote %d chunks, over %d", v, n, ChunksPerTxn)
		}
	}
	if got, err := readAll(t, b, id, size); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back: %d bytes, %v", len(got), err)
	}
}

func TestTakeTooLarge(t *testing.T) {
	b := openBlobs(t)
	own := errors.New("our own too large")
	for _, c := range []struct {
		n, max int
		err    error
	}{{100, 99, nil}, {3*ChunkSize + 1, 3 * ChunkSize, nil}, {ChunksPerTxn*ChunkSize + 1, ChunkSize + 1, own}} {
		b.TooLarge = c.err
		_, err := b.Take(bytes.NewReader(randomBytes(c.n, 2)), int64(c.max))
		want := c.err
		if want == nil {
			want = ErrTooLarge
		}
		if !errors.Is(err, want) {
			t.Errorf("Take %d bytes, max %d: %v, want %v", c.n, c.max, err, want)
		}
	}
	if keys, _ := KeysWithPrefix(b.DB, []byte{tag}); len(keys) != 0 {
		t.Errorf("%d chunks left by refused blobs", len(keys))
	}
}

func TestTakeReadError(t *testing.T) {
	b := openBlobs(t)
	boom := errors.New("boom")
	src := ioMulti(bytes.NewReader(randomBytes(2*ChunkSize, 3)), errReader{boom})
	if _, err := b.Take(src, 1<<30); !errors.Is(err, boom) {
		t.Fatalf("Take from a failing reader: %v", err)
	}
	if keys, _ := KeysWithPrefix(b.DB, []byte{tag}); len(keys) != 0 {
		t.Errorf("%d chunks left after a failed Take", len(keys))
	}
}

func TestDrop(t *testing.T) {
	b := openBlobs(t)
	p, err := b.Take(bytes.NewReader(randomBytes(2*ChunkSize, 4)), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Drop(p); err != nil {
		t.Fatal(err)
	}
	if keys, _ := KeysWithPrefix(b.DB, []byte{tag}); len(keys) != 0 {
		t.Errorf("%d chunks left after Drop", len(keys))
	}
	if err := b.Drop(Pending{Small: []byte("x")}); err != nil {
		t.Errorf("Drop of an in-memory blob: %v", err)
	}
}

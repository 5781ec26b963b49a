package chunkstore

import (
	"bytes"
	"testing"
)

// TestDeleteAll: the chunks of several blobs, small and large, go in one
// commit; other blobs stay.
func TestDeleteAll(t *testing.T) {
	b := openBlobs(t)
	var ids []ID
	for i, size := range []int{10, 3*ChunkSize + 1, 20} {
		p, err := b.Take(bytes.NewReader(randomBytes(size, uint64(i))), 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		commitSmall(t, b, p)
		ids = append(ids, p.ID)
	}
	if err := b.DeleteAll(ids[:2]); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteAll(nil); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		keys, err := KeysWithPrefix(b.DB, b.Prefix(id))
		if err != nil || (len(keys) == 0) != (i < 2) {
			t.Errorf("blob %d: %d chunks left, %v", i, len(keys), err)
		}
	}
	if per := commitVersions(t, b.DB, []byte{tag}, true); len(per) != 1 {
		t.Errorf("deletions in %d commits, want 1", len(per))
	}
}

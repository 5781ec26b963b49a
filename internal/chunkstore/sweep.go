package chunkstore

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Sweep deletes the chunks of every blob that keep reports unreferenced,
// and returns how many blobs it deleted. keep is asked once per blob, in
// the read snapshot that listed the chunks. Keys under the tag that are not
// chunk keys are left alone.
func (b *Blobs) Sweep(keep func(txn *badger.Txn, id ID) bool) (int, error) {
	var orphans []ID
	err := b.DB.View(func(txn *badger.Txn) error {
		it := KeyIterator(txn, []byte{b.Tag})
		defer it.Close()
		var last ID
		seen := false
		for it.Rewind(); it.Valid(); it.Next() {
			id, _, ok := ParseChunkKey(b.Tag, it.Item().Key())
			if !ok || seen && id == last {
				continue
			}
			last, seen = id, true
			if !keep(txn, id) {
				orphans = append(orphans, id)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep chunks: %w", err)
	}
	for i, id := range orphans {
		if err := b.Delete(id); err != nil {
			return i, fmt.Errorf("sweep chunks: %w", err)
		}
	}
	return len(orphans), nil
}

package chunkstore

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// DeleteAll deletes the chunks of every blob in ids, in transactions of
// at most OpsPerTxn deletions, so that the blobs a group commit freed
// cost one more commit, not one each.
func (b *Blobs) DeleteAll(ids []ID) error {
	if len(ids) == 0 {
		return nil
	}
	var keys [][]byte
	err := b.DB.View(func(txn *badger.Txn) error {
		for _, id := range ids {
			it := KeyIterator(txn, b.Prefix(id))
			for it.Rewind(); it.Valid(); it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			it.Close()
		}
		return nil
	})
	if err == nil {
		err = DeleteKeys(b.DB, keys, b.opsPerTxn())
	}
	if err != nil {
		return fmt.Errorf("delete chunks of %d blobs: %w", len(ids), err)
	}
	return nil
}

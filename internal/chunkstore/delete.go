package chunkstore

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Delete deletes the chunks of id.
func (b *Blobs) Delete(id ID) error {
	keys, err := KeysWithPrefix(b.DB, b.Prefix(id))
	if err == nil {
		err = DeleteKeys(b.DB, keys, b.opsPerTxn())
	}
	if err != nil {
		return fmt.Errorf("delete chunks of blob %x: %w", id, err)
	}
	return nil
}

// KeyIterator iterates over the keys under prefix without reading values.
// The caller closes it.
func KeyIterator(txn *badger.Txn, prefix []byte) *badger.Iterator {
	o := badger.DefaultIteratorOptions
	o.PrefetchValues = false
	o.Prefix = prefix
	return txn.NewIterator(o)
}

// KeysWithPrefix lists the keys under prefix, from one snapshot.
func KeysWithPrefix(db *badger.DB, prefix []byte) ([][]byte, error) {
	var keys [][]byte
	err := db.View(func(txn *badger.Txn) error {
		it := KeyIterator(txn, prefix)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list keys under %q: %w", prefix, err)
	}
	return keys, nil
}

// DeleteKeys deletes keys in transactions of at most perTxn deletions
// (perTxn <= 0 means OpsPerTxn). A failure leaves the keys of the
// transactions not committed.
func DeleteKeys(db *badger.DB, keys [][]byte, perTxn int) error {
	if perTxn <= 0 {
		perTxn = OpsPerTxn
	}
	for len(keys) > 0 {
		n := min(len(keys), perTxn)
		err := db.Update(func(txn *badger.Txn) error {
			for _, k := range keys[:n] {
				if err := txn.Delete(k); err != nil {
					return fmt.Errorf("delete key %q: %w", k, err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("delete %d keys: %w", n, err)
		}
		keys = keys[n:]
	}
	return nil
}

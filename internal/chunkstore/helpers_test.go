package chunkstore

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

const tag = 'c'

// openBlobs opens a real database in a temporary directory.
func openBlobs(t *testing.T) *Blobs {
	t.Helper()
	db, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Blobs{DB: db, Tag: tag, Gate: &Gate{}}
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

// commitSmall writes an in-memory blob's only chunk, as a caller does with
// its record.
func commitSmall(t *testing.T, b *Blobs, p Pending) {
	t.Helper()
	if p.Stored() || p.Size == 0 {
		return
	}
	err := b.DB.Update(func(txn *badger.Txn) error { return txn.Set(b.ChunkKey(p.ID, 0), p.Small) })
	if err != nil {
		t.Fatal(err)
	}
}

// readAll reads blob id of size bytes from a fresh snapshot.
func readAll(t *testing.T, b *Blobs, id ID, size int64) ([]byte, error) {
	t.Helper()
	r := b.NewReader(b.DB.NewTransaction(false), id, size)
	defer r.Close()
	var out bytes.Buffer
	_, err := out.ReadFrom(r)
	return out.Bytes(), err
}

// commitVersions returns, for every version of every key under prefix that
// is a deletion (deleted true) or a live value (deleted false), the commit
// timestamp, counting keys per commit.
func commitVersions(t *testing.T, db *badger.DB, prefix []byte, deleted bool) map[uint64]int {
	t.Helper()
	per := map[uint64]int{}
	err := db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.AllVersions, o.PrefetchValues, o.Prefix = true, false, prefix
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if it.Item().IsDeletedOrExpired() == deleted {
				per[it.Item().Version()]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return per
}

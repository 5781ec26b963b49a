package mailbox

import (
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/internal/chunkstore"
)

// Body storage is internal/chunkstore's: a body is split into chunks of
// chunkSize bytes under "c" + blob id + chunk index, committed a few at a
// time before the record that references it.
const chunkSize = chunkstore.ChunkSize

// pendingBody is a body taken from its reader: either stored in chunks
// already, or, when it fits in one chunk, held in memory (Small) to be
// written in the same transaction as its record (one fsync instead of two).
type pendingBody = chunkstore.Pending

// newBlobs configures the chunk table of s.
func (s *Store) newBlobs() chunkstore.Blobs {
	return chunkstore.Blobs{
		DB: s.db, Tag: tagChunk, OpsPerTxn: maxBatchOps, Gate: &s.gate,
		Corrupt: ErrCorrupt, TooLarge: ErrTooLarge, Closed: ErrClosed,
	}
}

// takeBody reads r, of at most max bytes, into a new blob. A large body is
// durable in chunks on return; it has no reference yet: the caller commits
// one (with store), or calls drop. On error the chunks written so far are
// deleted (or, after a crash, swept by Open).
func (s *Store) takeBody(r io.Reader, max int64) (pendingBody, error) {
	p, err := s.blobs.Take(r, max)
	if err != nil {
		return pendingBody{}, fmt.Errorf("store body: %w", err)
	}
	return p, nil
}

// store writes a small body's only chunk into the batch.
func (b *batch) store(p pendingBody) error {
	if p.Stored() || p.Size == 0 {
		return nil
	}
	if err := b.set(chunkKey(p.ID, 0), p.Small); err != nil {
		return fmt.Errorf("write body: %w", err)
	}
	return nil
}

// drop deletes the chunks of a body that will not be referenced.
func (s *Store) drop(p pendingBody) {
	if err := s.blobs.Drop(p); err != nil {
		s.log.Warn("body left for the next sweep", "err", err)
	}
}

// writeChunks stores r, of at most max bytes, as the chunks of id.
func (s *Store) writeChunks(id blobID, r io.Reader, max int64) (int64, error) {
	return s.blobs.Write(id, r, max)
}

// keysWithPrefix lists the keys under prefix without reading values.
func (s *Store) keysWithPrefix(prefix []byte) ([][]byte, error) {
	return chunkstore.KeysWithPrefix(s.db, prefix)
}

// deleteKeys deletes keys in as many transactions as it takes.
func (s *Store) deleteKeys(keys [][]byte) error {
	return chunkstore.DeleteKeys(s.db, keys, maxBatchOps)
}

// newBlobReader streams a body from the snapshot txn, which it takes over
// and discards on Close.
func (s *Store) newBlobReader(txn *badger.Txn, id blobID, size int64) *chunkstore.Reader {
	return s.blobs.NewReader(txn, id, size)
}

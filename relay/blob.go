package relay

import (
	"fmt"
	"io"
	"math"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/internal/chunkstore"
)

// Envelope bytes are stored by internal/chunkstore in chunks of chunkSize
// under "c" + blob id + index, committed a few at a time before the record
// that references them.
const (
	chunkSize = chunkstore.ChunkSize
	maxTxnOps = 500 // deletions per transaction
)

// blob is an envelope's bytes taken from the depositor: either committed in
// chunks already, or, when they fit one chunk, held in memory to be written
// with the record.
type blob struct {
	id    blobID
	size  int64
	small []byte // the whole envelope when it fits one chunk
}

// newBlobs configures the chunk table of r.
func (r *Relay) newBlobs() chunkstore.Blobs {
	return chunkstore.Blobs{
		DB: r.db, Tag: tagChunk, OpsPerTxn: maxTxnOps, Gate: &r.gate,
		Corrupt: ErrCorrupt, Closed: ErrClosed,
	}
}

// takeBlob reads r to its end into a new blob. Large blobs are durable on
// return but unreferenced: the caller commits a record, or drops them. On
// error the chunks written so far are deleted (or swept by the next Open).
func (r *Relay) takeBlob(src io.Reader) (blob, error) {
	p, err := r.blobs.Take(src, math.MaxInt64)
	if err != nil {
		return blob{}, fmt.Errorf("store envelope: %w", err)
	}
	return blob{id: p.ID, size: p.Size, small: p.Small}, nil
}

// dropBlob deletes a blob that will not be referenced, logging a failure
// (the next Open sweeps it).
func (r *Relay) dropBlob(b blob) {
	if b.small != nil {
		return
	}
	if err := r.deleteBlob(b.id); err != nil {
		r.log.Warn("envelope chunks left for the next sweep", "err", err)
	}
}

// deleteBlob deletes the chunks of id.
func (r *Relay) deleteBlob(id blobID) error { return r.blobs.Delete(id) }

// keysWithPrefix lists the keys under prefix without reading values.
func (r *Relay) keysWithPrefix(prefix []byte) ([][]byte, error) {
	return chunkstore.KeysWithPrefix(r.db, prefix)
}

// deleteKeys deletes keys in as many transactions as it takes.
func (r *Relay) deleteKeys(keys [][]byte) error {
	return chunkstore.DeleteKeys(r.db, keys, maxTxnOps)
}

func keyIterator(txn *badger.Txn, prefix []byte) *badger.Iterator {
	return chunkstore.KeyIterator(txn, prefix)
}

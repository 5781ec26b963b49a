package relay

import (
	"errors"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"
)

// Envelope bytes are stored in chunks of chunkSize under "c" + blob id +
// index. Values of valueThreshold bytes or more go to Badger's value log.
// Chunks are committed chunksPerTxn at a time, so memory does not grow with
// the envelope.
const (
	chunkSize      = 256 << 10
	valueThreshold = 64 << 10
	chunksPerTxn   = 16
	maxTxnOps      = 500 // deletions per transaction
)

// blob is an envelope's bytes taken from the depositor: either committed in
// chunks already, or, when they fit one chunk, held in memory to be written
// with the record.
type blob struct {
	id    blobID
	size  int64
	small []byte // the whole envelope when it fits one chunk
}

// takeBlob reads r to its end into a new blob. Large blobs are durable on
// return but unreferenced: the caller commits a record, or drops them. On
// error the chunks written so far are deleted (or swept by the next Open).
func (r *Relay) takeBlob(src io.Reader) (blob, error) {
	id, err := newBlobID()
	if err != nil {
		return blob{}, err
	}
	first := make([]byte, chunkSize)
	n, err := io.ReadFull(src, first)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return blob{id: id, size: int64(n), small: first[:n]}, nil
	}
	if err != nil {
		return blob{}, fmt.Errorf("read envelope: %w", err)
	}
	bufs := make([][]byte, chunksPerTxn)
	bufs[0] = first
	size, err := r.writeChunks(id, src, bufs)
	if err != nil {
		return blob{}, errors.Join(err, r.deleteBlob(id))
	}
	return blob{id: id, size: size}, nil
}

// writeChunks commits bufs[0] (already full) and the rest of src in
// transactions of up to chunksPerTxn chunks.
func (r *Relay) writeChunks(id blobID, src io.Reader, bufs [][]byte) (int64, error) {
	var size int64
	var n uint32
	pending := 1 // bufs[0] is filled
	for {
		txn := r.db.NewTransaction(true)
		eof, err := r.fillTxn(txn, id, &n, &size, src, bufs, pending)
		if err == nil {
			err = txn.Commit()
		}
		txn.Discard()
		if err != nil {
			return size, fmt.Errorf("write envelope chunks: %w", err)
		}
		if eof {
			return size, nil
		}
		pending = 0
	}
}

// fillTxn sets up to len(bufs) chunks into txn; the first filled of them
// are already read. It reports eof once src is exhausted.
func (r *Relay) fillTxn(txn *badger.Txn, id blobID, n *uint32, size *int64, src io.Reader, bufs [][]byte, filled int) (bool, error) {
	for i := range bufs {
		if bufs[i] == nil {
			bufs[i] = make([]byte, chunkSize)
		}
		got, err := len(bufs[i]), error(nil)
		if i >= filled {
			got, err = io.ReadFull(src, bufs[i])
		}
		if got > 0 {
			if serr := txn.Set(chunkKey(id, *n), bufs[i][:got]); serr != nil {
				return true, fmt.Errorf("set chunk %d: %w", *n, serr)
			}
			*size += int64(got)
			*n++
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return true, nil
		}
		if err != nil {
			return true, fmt.Errorf("read envelope: %w", err)
		}
	}
	return false, nil
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
func (r *Relay) deleteBlob(id blobID) error {
	keys, err := r.keysWithPrefix(chunkPrefix(id))
	if err == nil {
		err = r.deleteKeys(keys)
	}
	if err != nil {
		return fmt.Errorf("delete chunks of blob %x: %w", id, err)
	}
	return nil
}

// keysWithPrefix lists the keys under prefix without reading values.
func (r *Relay) keysWithPrefix(prefix []byte) ([][]byte, error) {
	var keys [][]byte
	err := r.db.View(func(txn *badger.Txn) error {
		it := keyIterator(txn, prefix)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	return keys, err
}

// deleteKeys deletes keys in as many transactions as it takes.
func (r *Relay) deleteKeys(keys [][]byte) error {
	for len(keys) > 0 {
		n := min(len(keys), maxTxnOps)
		err := r.db.Update(func(txn *badger.Txn) error {
			for _, k := range keys[:n] {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

func keyIterator(txn *badger.Txn, prefix []byte) *badger.Iterator {
	o := badger.DefaultIteratorOptions
	o.PrefetchValues = false
	o.Prefix = prefix
	return txn.NewIterator(o)
}

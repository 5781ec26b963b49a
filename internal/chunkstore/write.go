package chunkstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// Pending is a blob taken from a reader and not referenced yet.
type Pending struct {
	ID   ID
	Size int64
	// Small holds the whole blob when it is shorter than one chunk; it
	// is then not stored, and the caller writes it as chunk 0 (unless
	// empty) in the transaction of its record. It is nil otherwise.
	Small []byte
}

// Stored reports whether the blob's chunks are in the database already.
func (p Pending) Stored() bool { return p.Small == nil }

// Take reads r to its end, at most max bytes, into a new blob. A blob of
// one chunk or more is durable on return but unreferenced: the caller
// commits a record for it, or Drops it. On error the chunks written so far
// are deleted (or, after a crash, swept).
func (b *Blobs) Take(r io.Reader, max int64) (Pending, error) {
	id, err := NewID()
	if err != nil {
		return Pending{}, err
	}
	first, err := readFirstChunk(r)
	n := len(first)
	switch {
	case int64(n) > max:
		return Pending{}, b.tooLarge(max)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return Pending{ID: id, Size: int64(n), Small: first[:n]}, nil
	case err != nil:
		return Pending{}, fmt.Errorf("read blob: %w", err)
	}
	size, err := b.Write(id, io.MultiReader(bytes.NewReader(first), r), max)
	if err != nil {
		return Pending{}, errors.Join(err, b.Delete(id))
	}
	return Pending{ID: id, Size: size}, nil
}

// readFirstChunk reads up to ChunkSize bytes of r, as io.ReadFull would
// (io.ErrUnexpectedEOF or io.EOF when r ends first), into a buffer that
// grows with what arrives: most bodies are a few kilobytes, and a buffer
// of a whole chunk for each would cost more to clear than to fill.
func readFirstChunk(r io.Reader) ([]byte, error) {
	buf := make([]byte, 0, 16<<10)
	for len(buf) < ChunkSize {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(len(buf), ChunkSize-len(buf)))
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), ChunkSize)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF && len(buf) == 0:
			return buf, io.EOF
		case err == io.EOF:
			return buf, io.ErrUnexpectedEOF
		case err != nil:
			return buf, err
		}
	}
	return buf, nil
}

// Write stores r, at most max bytes, as the chunks of id, in transactions
// of ChunksPerTxn chunks, and returns its size. On error the chunks
// committed so far stay; the caller deletes them.
func (b *Blobs) Write(id ID, r io.Reader, max int64) (int64, error) {
	w := chunkWriter{b: b, id: id, r: r, max: max, bufs: make([][]byte, ChunksPerTxn)}
	for {
		txn := b.DB.NewTransaction(true)
		eof, err := w.fill(txn)
		if err == nil {
			err = txn.Commit()
		}
		txn.Discard()
		if err != nil {
			return w.size, fmt.Errorf("write chunks of blob %x: %w", id, err)
		}
		if eof {
			return w.size, nil
		}
	}
}

// Drop deletes a blob that will not be referenced. A failure leaves it for
// the next Sweep and is returned for logging.
func (b *Blobs) Drop(p Pending) error {
	if !p.Stored() {
		return nil
	}
	return b.Delete(p.ID)
}

// chunkWriter is the state of one Write.
type chunkWriter struct {
	b    *Blobs
	id   ID
	r    io.Reader
	max  int64
	size int64
	n    uint32
	bufs [][]byte // reused across transactions
}

// fill sets up to ChunksPerTxn chunks read from w.r into txn. It reports
// eof once w.r is exhausted.
func (w *chunkWriter) fill(txn *badger.Txn) (bool, error) {
	for i := range w.bufs {
		if w.bufs[i] == nil {
			w.bufs[i] = make([]byte, ChunkSize)
		}
		got, err := io.ReadFull(w.r, w.bufs[i])
		if got > 0 {
			w.size += int64(got)
			if w.size > w.max {
				return true, w.b.tooLarge(w.max)
			}
			if err := txn.Set(w.b.ChunkKey(w.id, w.n), w.bufs[i][:got]); err != nil {
				return true, fmt.Errorf("set chunk %d: %w", w.n, err)
			}
			w.n++
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return true, nil
		}
		if err != nil {
			return true, fmt.Errorf("read blob: %w", err)
		}
	}
	return false, nil
}

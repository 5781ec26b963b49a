package chunkstore

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

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

// Take reads r to its end, at most max bytes, into a new blob. Only io.EOF
// from r ends the blob: any other error, io.ErrUnexpectedEOF from a
// stream cut short included, fails it. A blob of one chunk or more is
// durable on return but unreferenced: the caller commits a record for it,
// or Drops it. On error the chunks written so far are deleted (or, after
// a crash, swept).
func (b *Blobs) Take(r io.Reader, max int64) (Pending, error) {
	id, err := NewID()
	if err != nil {
		return Pending{}, err
	}
	first, eof, err := readFirstChunk(r)
	n := len(first)
	switch {
	case int64(n) > max:
		return Pending{}, b.tooLarge(max)
	case err != nil:
		return Pending{}, fmt.Errorf("read blob: %w", err)
	case eof:
		return Pending{ID: id, Size: int64(n), Small: first[:n]}, nil
	}
	size, err := b.Write(id, io.MultiReader(bytes.NewReader(first), r), max)
	if err != nil {
		return Pending{}, errors.Join(err, b.Delete(id))
	}
	return Pending{ID: id, Size: size}, nil
}

// readFirstChunk reads up to ChunkSize bytes of r, reporting eof if r
// ended (io.EOF) first, into a buffer that grows with what arrives: most
// bodies are a few kilobytes, and a buffer of a whole chunk for each
// would cost more to clear than to fill.
func readFirstChunk(r io.Reader) (buf []byte, eof bool, err error) {
	buf = make([]byte, 0, 16<<10)
	for len(buf) < ChunkSize {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(len(buf), ChunkSize-len(buf)))
		}
		n, eof, err := readChunk(r, buf[len(buf):min(cap(buf), ChunkSize)])
		buf = buf[:len(buf)+n]
		if eof || err != nil {
			return buf, eof, err
		}
	}
	return buf, false, nil
}

// readChunk fills buf from r, as io.ReadFull does, except that only io.EOF
// from r counts as its end (eof); an io.ErrUnexpectedEOF of r's own is an
// error like any other.
func readChunk(r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		got, err := r.Read(buf[n:])
		n += got
		switch {
		case errors.Is(err, io.EOF):
			return n, true, nil
		case err != nil:
			return n, false, err
		}
	}
	return n, false, nil
}

// Write stores r, at most max bytes, as the chunks of id, in transactions
// of ChunksPerTxn chunks, and returns its size once every chunk is durable.
// While one transaction commits the next chunks are read (writeDepth), so
// reading r overlaps Badger's writes and fsyncs, and transactions that
// queue up share one fsync. On error the chunks committed so far stay;
// the caller deletes them.
func (b *Blobs) Write(id ID, r io.Reader, max int64) (int64, error) {
	w := chunkWriter{b: b, id: id, r: r, max: max}
	free := make(chan [][]byte, writeDepth) // chunk buffers no commit holds
	for range writeDepth {
		free <- make([][]byte, ChunksPerTxn)
	}
	var (
		committing sync.WaitGroup
		mu         sync.Mutex
		commitErr  error // the first commit that failed
	)
	failed := func() error {
		committing.Wait()
		mu.Lock()
		defer mu.Unlock()
		return commitErr
	}
	for {
		bufs := <-free
		mu.Lock()
		err := commitErr
		mu.Unlock()
		var eof bool
		if err == nil {
			txn := b.DB.NewTransaction(true)
			if eof, err = w.fill(txn, bufs); err != nil {
				txn.Discard()
			} else {
				committing.Add(1)
				// Badger holds on to the chunk slices until the commit is
				// written: the buffers are free again only in the callback.
				txn.CommitWith(func(err error) {
					if err != nil {
						mu.Lock()
						commitErr = cmp.Or(commitErr, err)
						mu.Unlock()
					}
					free <- bufs
					committing.Done()
				})
			}
		}
		if err == nil && eof {
			err = failed()
		} else if err != nil {
			committing.Wait()
		}
		if err != nil {
			return w.size, fmt.Errorf("write chunks of blob %x: %w", id, err)
		}
		if eof {
			return w.size, nil
		}
	}
}

// writeDepth is how many transactions of one Write may be in flight: one
// committing while the next is filled.
const writeDepth = 2

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
}

// fill sets up to len(bufs) chunks read from w.r into txn, each read into
// one of bufs (allocated on first use). It reports eof once w.r is
// exhausted.
func (w *chunkWriter) fill(txn *badger.Txn, bufs [][]byte) (bool, error) {
	for i := range bufs {
		if bufs[i] == nil {
			bufs[i] = make([]byte, ChunkSize)
		}
		got, eof, err := readChunk(w.r, bufs[i])
		if got > 0 {
			w.size += int64(got)
			if w.size > w.max {
				return true, w.b.tooLarge(w.max)
			}
			if err := txn.Set(w.b.ChunkKey(w.id, w.n), bufs[i][:got]); err != nil {
				return true, fmt.Errorf("set chunk %d: %w", w.n, err)
			}
			w.n++
		}
		if err != nil {
			return true, fmt.Errorf("read blob: %w", err)
		}
		if eof {
			return true, nil
		}
	}
	return false, nil
}

package chunkstore

import (
	"errors"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"
)

// Reader streams a blob chunk by chunk from a read snapshot.
type Reader struct {
	b      *Blobs
	txn    *badger.Txn
	id     ID
	size   int64 // expected total, from the caller's record
	read   int64
	next   uint32
	buf    []byte // unread part of the current chunk
	store  []byte // backing array reused for each chunk
	closed bool
}

// NewReader streams the size bytes of blob id as seen by txn, a read
// transaction it takes over and discards on Close. A chunk missing, empty
// or running past size is reported wrapping the Corrupt error.
func (b *Blobs) NewReader(txn *badger.Txn, id ID, size int64) *Reader {
	return &Reader{b: b, txn: txn, id: id, size: size}
}

func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("read blob: reader closed")
	}
	if len(r.buf) == 0 {
		if r.read >= r.size {
			return 0, io.EOF
		}
		if err := r.load(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.read += int64(n)
	return n, nil
}

// load reads the next chunk inside the gate.
func (r *Reader) load() error {
	if !r.enter() {
		return r.b.errClosed()
	}
	defer r.leave()
	item, err := r.txn.Get(r.b.ChunkKey(r.id, r.next))
	if errors.Is(err, badger.ErrKeyNotFound) {
		err = fmt.Errorf("%w: missing", r.b.errCorrupt())
	}
	if err == nil {
		r.store, err = item.ValueCopy(r.store[:0])
	}
	if err != nil {
		return fmt.Errorf("read chunk %d of blob %x: %w", r.next, r.id, err)
	}
	if len(r.store) == 0 || r.read+int64(len(r.store)) > r.size {
		return fmt.Errorf("read chunk %d of blob %x: %w: bad length %d", r.next, r.id, r.b.errCorrupt(), len(r.store))
	}
	r.buf = r.store
	r.next++
	return nil
}

// Close releases the snapshot. It is safe to call more than once, and after
// the database is closed.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if !r.enter() {
		return nil // the database is gone, and the snapshot with it
	}
	defer r.leave()
	r.txn.Discard()
	return nil
}

func (r *Reader) enter() bool { return r.b.Gate == nil || r.b.Gate.Enter() }

func (r *Reader) leave() {
	if r.b.Gate != nil {
		r.b.Gate.Leave()
	}
}

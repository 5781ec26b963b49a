package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"
)

// Body storage. A body is split into chunks of chunkSize bytes, stored
// under "c" + blob id + chunk index. Values of valueThreshold bytes or more
// go to Badger's value log, so chunks do not bloat the LSM tree. Chunks are
// committed chunksPerTxn at a time, so memory use does not grow with the
// body's size.
const (
	chunkSize      = 256 << 10
	valueThreshold = 64 << 10
	chunksPerTxn   = 16
)

// pendingBody is a body taken from its reader: either stored in chunks
// already, or, when it fits in one chunk, held in memory to be written in
// the same transaction as its record (one fsync instead of two).
type pendingBody struct {
	id    blobID
	size  int64
	small []byte // the whole body when it fits one chunk; not yet stored
	inMem bool
}

// takeBody reads r, of at most max bytes, into a new blob. A large body is
// durable in chunks on return; it has no reference yet: the caller commits
// one (with store), or calls drop. On error the chunks written so far are
// deleted (or, after a crash, swept by Open).
func (s *Store) takeBody(r io.Reader, max int64) (pendingBody, error) {
	id, err := newBlobID()
	if err != nil {
		return pendingBody{}, err
	}
	first := make([]byte, chunkSize)
	n, err := io.ReadFull(r, first)
	switch {
	case int64(n) > max:
		return pendingBody{}, fmt.Errorf("body over %d bytes: %w", max, ErrTooLarge)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return pendingBody{id: id, size: int64(n), small: first[:n], inMem: true}, nil
	case err != nil:
		return pendingBody{}, fmt.Errorf("read body: %w", err)
	}
	size, err := s.writeChunks(id, io.MultiReader(bytes.NewReader(first), r), max)
	if err != nil {
		return pendingBody{}, errors.Join(err, s.deleteBlob(id))
	}
	return pendingBody{id: id, size: size}, nil
}

// store writes a small body's only chunk into the batch.
func (b *batch) store(p pendingBody) error {
	if !p.inMem || p.size == 0 {
		return nil
	}
	if err := b.set(chunkKey(p.id, 0), p.small); err != nil {
		return fmt.Errorf("write body: %w", err)
	}
	return nil
}

// drop deletes the chunks of a body that will not be referenced.
func (s *Store) drop(p pendingBody) {
	if p.inMem {
		return
	}
	if err := s.deleteBlob(p.id); err != nil {
		s.log.Warn("body left for the next sweep", "err", err)
	}
}

func (s *Store) writeChunks(id blobID, r io.Reader, max int64) (int64, error) {
	bufs := make([][]byte, chunksPerTxn)
	var size int64
	var n uint32
	for {
		txn := s.db.NewTransaction(true)
		eof, err := s.fillTxn(txn, id, &n, &size, r, max, bufs)
		if err == nil {
			err = txn.Commit()
		}
		txn.Discard()
		if err != nil || eof {
			return size, err
		}
	}
}

// fillTxn sets up to chunksPerTxn chunks read from r into txn. It reports
// eof once r is exhausted.
func (s *Store) fillTxn(txn *badger.Txn, id blobID, n *uint32, size *int64, r io.Reader, max int64, bufs [][]byte) (bool, error) {
	for i := range bufs {
		if bufs[i] == nil {
			bufs[i] = make([]byte, chunkSize)
		}
		got, err := io.ReadFull(r, bufs[i])
		if got > 0 {
			*size += int64(got)
			if *size > max {
				return true, fmt.Errorf("body over %d bytes: %w", max, ErrTooLarge)
			}
			if err := txn.Set(chunkKey(id, *n), bufs[i][:got]); err != nil {
				return true, fmt.Errorf("write chunk %d: %w", *n, err)
			}
			*n++
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return true, nil
		}
		if err != nil {
			return true, fmt.Errorf("read body: %w", err)
		}
	}
	return false, nil
}

// deleteBlob deletes the chunks of id (not its reference count).
func (s *Store) deleteBlob(id blobID) error {
	keys, err := s.keysWithPrefix(chunkPrefix(id))
	if err != nil {
		return fmt.Errorf("delete blob %x: %w", id, err)
	}
	if err := s.deleteKeys(keys); err != nil {
		return fmt.Errorf("delete blob %x: %w", id, err)
	}
	return nil
}

// keysWithPrefix lists the keys under prefix without reading values.
func (s *Store) keysWithPrefix(prefix []byte) ([][]byte, error) {
	var keys [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.PrefetchValues = false
		o.Prefix = prefix
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	return keys, err
}

// deleteKeys deletes keys in as many transactions as it takes.
func (s *Store) deleteKeys(keys [][]byte) error {
	for len(keys) > 0 {
		n := min(len(keys), maxBatchOps)
		err := s.db.Update(func(txn *badger.Txn) error {
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

// blobReader streams a blob chunk by chunk from a read snapshot.
type blobReader struct {
	s      *Store
	txn    *badger.Txn
	id     blobID
	size   int64 // expected total
	read   int64
	next   uint32
	buf    []byte // unread part of the current chunk
	store  []byte // backing array reused for each chunk
	closed bool
}

// newBlobReader takes ownership of txn, which it discards on Close.
func (s *Store) newBlobReader(txn *badger.Txn, id blobID, size int64) *blobReader {
	return &blobReader{s: s, txn: txn, id: id, size: size}
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("read body: reader closed")
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

func (r *blobReader) load() error {
	if err := r.s.enter(); err != nil {
		return err
	}
	defer r.s.leave()
	item, err := r.txn.Get(chunkKey(r.id, r.next))
	if err != nil {
		if errors.Is(err, badger.ErrKeyNotFound) {
			err = ErrCorrupt
		}
		return fmt.Errorf("read chunk %d of blob %x: %w", r.next, r.id, err)
	}
	r.store, err = item.ValueCopy(r.store[:0])
	if err != nil {
		return fmt.Errorf("read chunk %d of blob %x: %w", r.next, r.id, err)
	}
	if len(r.store) == 0 || r.read+int64(len(r.store)) > r.size {
		return fmt.Errorf("read chunk %d of blob %x: %w: bad chunk length", r.next, r.id, ErrCorrupt)
	}
	r.buf = r.store
	r.next++
	return nil
}

// Close releases the snapshot. It is safe to call more than once.
func (r *blobReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if err := r.s.enter(); err != nil {
		return nil // the database is gone, and the snapshot with it
	}
	defer r.s.leave()
	r.txn.Discard()
	return nil
}

package relay

import (
	"errors"
	"fmt"
	"io"

	"github.com/dgraph-io/badger/v4"
)

// blobReader streams a held envelope chunk by chunk from a read snapshot,
// so an Ack or Expire during the hand-over does not cut it short.
type blobReader struct {
	r      *Relay
	txn    *badger.Txn
	id     blobID
	size   int64 // expected total
	read   int64
	next   uint32
	buf    []byte // unread part of the current chunk
	store  []byte // backing array reused for each chunk
	closed bool
}

func (br *blobReader) Read(p []byte) (int, error) {
	if br.closed {
		return 0, fmt.Errorf("read envelope: reader closed")
	}
	if len(br.buf) == 0 {
		if br.read >= br.size {
			return 0, io.EOF
		}
		if err := br.load(); err != nil {
			return 0, err
		}
	}
	n := copy(p, br.buf)
	br.buf = br.buf[n:]
	br.read += int64(n)
	return n, nil
}

// load reads the next chunk; it enters the relay so that it never touches
// a closed database.
func (br *blobReader) load() error {
	if err := br.r.enter(); err != nil {
		return err
	}
	defer br.r.leave()
	item, err := br.txn.Get(chunkKey(br.id, br.next))
	if errors.Is(err, badger.ErrKeyNotFound) {
		err = ErrCorrupt
	}
	if err == nil {
		br.store, err = item.ValueCopy(br.store[:0])
	}
	if err != nil {
		return fmt.Errorf("read chunk %d of blob %x: %w", br.next, br.id, err)
	}
	if len(br.store) == 0 || br.read+int64(len(br.store)) > br.size {
		return fmt.Errorf("read chunk %d of blob %x: bad length %d: %w", br.next, br.id, len(br.store), ErrCorrupt)
	}
	br.buf = br.store
	br.next++
	return nil
}

// Close releases the snapshot. It is safe to call more than once.
func (br *blobReader) Close() error {
	if br.closed {
		return nil
	}
	br.closed = true
	if err := br.r.enter(); err != nil {
		return nil // the database is closed, and the snapshot with it
	}
	defer br.r.leave()
	br.txn.Discard()
	return nil
}

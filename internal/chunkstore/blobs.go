package chunkstore

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Sizes of the chunk layout. Changing ChunkSize does not break existing
// databases (readers take chunks as stored), but the other packages'
// tests and limits assume it.
//
// ValueThreshold keeps message bodies out of Badger's LSM tree: above it a
// value goes to the value log and the tree holds a pointer. With bodies of
// a few KB in the tree, every compaction (Flatten, see compact.go) rewrote
// them all and the tables' indexes grew with the mail: importing 200 MB of
// 50 KB messages peaked at 480 MB of memory; with 4 KiB, at 35 MB, and
// faster. Records and small messages stay in the tree. Changing it does not
// break existing databases: Badger reads values from wherever they are.
const (
	ChunkSize      = 256 << 10 // bytes per chunk, the last one may be shorter
	ValueThreshold = 4 << 10   // values this large go to Badger's value log
	ChunksPerTxn   = 16        // chunks committed per write transaction
	OpsPerTxn      = 500       // default deletions per transaction
)

// Errors wrapped when Blobs has no error of its own configured.
var (
	ErrCorrupt  = errors.New("corrupt chunk")
	ErrTooLarge = errors.New("blob too large")
	ErrClosed   = errors.New("database closed")
)

// Blobs is the chunk table of one database. Its fields are set once, before
// use; the caller keeps the rest of the database.
type Blobs struct {
	DB  *badger.DB
	Tag byte // first byte of every chunk key
	// OpsPerTxn bounds the deletions per transaction; 0 means OpsPerTxn.
	OpsPerTxn int
	// Gate is entered by Readers for every chunk; nil means none.
	Gate *Gate
	// Corrupt, TooLarge and Closed are the errors wrapped for a missing or
	// bad chunk, a blob over its bound, and a shut Gate; nil means this
	// package's ErrCorrupt, ErrTooLarge and ErrClosed.
	Corrupt, TooLarge, Closed error
}

// Prefix is the prefix of the chunk keys of id.
func (b *Blobs) Prefix(id ID) []byte { return Prefix(b.Tag, id) }

// ChunkKey is the key of chunk n of id.
func (b *Blobs) ChunkKey(id ID, n uint32) []byte { return ChunkKey(b.Tag, id, n) }

func (b *Blobs) opsPerTxn() int {
	if b.OpsPerTxn > 0 {
		return b.OpsPerTxn
	}
	return OpsPerTxn
}

func (b *Blobs) errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

func (b *Blobs) errCorrupt() error  { return b.errOr(b.Corrupt, ErrCorrupt) }
func (b *Blobs) errTooLarge() error { return b.errOr(b.TooLarge, ErrTooLarge) }
func (b *Blobs) errClosed() error   { return b.errOr(b.Closed, ErrClosed) }

func (b *Blobs) tooLarge(max int64) error {
	return fmt.Errorf("blob over %d bytes: %w", max, b.errTooLarge())
}

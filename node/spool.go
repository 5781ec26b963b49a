package node

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/yggpost/yggpost/mailbox"
)

// spoolInMemory is the largest submitted message kept in memory while it is
// stored; a larger one goes straight into the store as it arrives (see
// submitter.submitStreamed) or, when its Sent copy needs a body of its
// own, to a temporary file, so a message is never whole in memory however
// large it is. Most mail is far smaller, and a temporary file costs a
// create, a write and an unlink per message.
const spoolInMemory = 256 << 10

// arrival is a submitted message as it is read: its first bytes, up to
// spoolInMemory+1, and a reader of the rest. Every byte read goes into the
// message's SHA-256 digest, and no more than limit+1 bytes are read, so
// that a message over limit is seen to be (overLimit).
type arrival struct {
	head  []byte
	rest  io.Reader
	hash  hash.Hash
	read  int64 // bytes of the message read so far, head included
	limit int64
}

// arrive reads the first bytes of msg, a message of at most limit bytes.
func arrive(msg io.Reader, limit int64) (*arrival, error) {
	a := &arrival{hash: sha256.New(), limit: limit}
	a.rest = io.TeeReader(io.LimitReader(msg, limit+1), a)
	var head bytes.Buffer
	if _, err := head.ReadFrom(io.LimitReader(a.rest, spoolInMemory+1)); err != nil {
		return nil, fmt.Errorf("spool message: %w", err)
	}
	a.head = head.Bytes()
	return a, nil
}

// Write counts and hashes the bytes read.
func (a *arrival) Write(p []byte) (int, error) {
	a.read += int64(len(p))
	return a.hash.Write(p)
}

// whole reports whether head is the whole message.
func (a *arrival) whole() bool { return len(a.head) <= spoolInMemory }

// overLimit returns the error for a message over the limit, or nil.
func (a *arrival) overLimit() error {
	if a.read > a.limit {
		return fmt.Errorf("spool message: %w: the limit is %d bytes", mailbox.ErrTooLarge, a.limit)
	}
	return nil
}

// digest is the SHA-256 of the message, once all of it was read.
func (a *arrival) digest() [sha256.Size]byte { return [sha256.Size]byte(a.hash.Sum(nil)) }

// spool holds one submitted message while its copies are stored, so that
// each copy can read it: in memory up to spoolInMemory bytes, else in a
// temporary file.
type spool struct {
	io.ReaderAt
	size int64
	file *os.File // nil when the message is in memory
}

// spool reads the rest of the message and spools it, in memory if head is
// the whole message, else to a temporary file, and returns it with its
// digest; a message over the limit is refused. The caller discards the
// spool.
func (a *arrival) spool() (*spool, [sha256.Size]byte, error) {
	sp := &spool{size: int64(len(a.head))}
	if a.whole() {
		sp.ReaderAt = bytes.NewReader(a.head)
	} else if err := sp.toFile(a.head, a.rest); err != nil {
		return nil, [sha256.Size]byte{}, err
	}
	if err := a.overLimit(); err != nil {
		sp.discard()
		return nil, [sha256.Size]byte{}, err
	}
	return sp, a.digest(), nil
}

// toFile writes head and then the rest of the message to a temporary file
// and reads the spool from there.
func (sp *spool) toFile(head []byte, rest io.Reader) error {
	f, err := os.CreateTemp("", "yggpost-submit-*")
	if err != nil {
		return fmt.Errorf("spool message: %w", err)
	}
	sp.file, sp.ReaderAt = f, f
	more, err := io.Copy(f, io.MultiReader(bytes.NewReader(head), rest))
	sp.size = more
	if err != nil {
		sp.discard()
		return fmt.Errorf("spool message: %w", err)
	}
	return nil
}

// discard closes and removes the spool's temporary file, if it has one.
func (sp *spool) discard() {
	if sp.file != nil {
		sp.file.Close()
		os.Remove(sp.file.Name())
	}
}

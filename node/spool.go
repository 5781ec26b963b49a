package node

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"

	"github.com/yggpost/yggpost/mailbox"
)

// spoolInMemory is the largest submitted message kept in memory while it is
// stored; a larger one goes to a temporary file, so a message is never
// whole in memory however large it is. Most mail is far smaller, and a
// temporary file costs a create, a write and an unlink per message.
const spoolInMemory = 256 << 10

// spool holds one submitted message while its copies are stored, so that
// each copy can read it: in memory up to spoolInMemory bytes, else in a
// temporary file.
type spool struct {
	io.ReaderAt
	size int64
	file *os.File // nil when the message is in memory
}

// spoolMessage reads msg, refusing more than limit bytes, and returns it
// spooled with its SHA-256 digest. The caller discards the spool.
func spoolMessage(msg io.Reader, limit int64) (*spool, [sha256.Size]byte, error) {
	var digest [sha256.Size]byte
	h := sha256.New()
	in := io.TeeReader(io.LimitReader(msg, limit+1), h)
	var head bytes.Buffer
	n, err := head.ReadFrom(io.LimitReader(in, spoolInMemory+1))
	if err != nil {
		return nil, digest, fmt.Errorf("spool message: %w", err)
	}
	sp := &spool{size: n}
	if n <= spoolInMemory {
		sp.ReaderAt = bytes.NewReader(head.Bytes())
	} else if err := sp.toFile(head.Bytes(), in); err != nil {
		return nil, digest, err
	}
	if sp.size > limit {
		sp.discard()
		return nil, digest, fmt.Errorf("spool message: %w: the limit is %d bytes", mailbox.ErrTooLarge, limit)
	}
	return sp, [sha256.Size]byte(h.Sum(nil)), nil
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

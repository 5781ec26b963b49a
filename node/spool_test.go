package node

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
)

// TestSpoolKeepsTheMessage: a message below, at and above the in-memory
// bound reads back whole from the spool, with its digest; a larger one is
// in a temporary file, removed on discard; one over the limit is refused
// with ErrTooLarge and leaves no file.
func TestSpoolKeepsTheMessage(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	for _, size := range []int{0, 1000, spoolInMemory, spoolInMemory + 1, 3*spoolInMemory + 17} {
		msg := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		sp, digest, err := spoolMessage(bytes.NewReader(msg), 4*spoolInMemory)
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if digest != sha256.Sum256(msg) {
			t.Errorf("%d bytes: digest differs", size)
		}
		got, err := io.ReadAll(io.NewSectionReader(sp, 0, sp.size))
		if err != nil || !bytes.Equal(got, msg) || sp.size != int64(size) {
			t.Errorf("%d bytes: read back %d bytes (size %d), err %v", size, len(got), sp.size, err)
		}
		if inFile := sp.file != nil; inFile != (size > spoolInMemory) {
			t.Errorf("%d bytes: in a file %v", size, inFile)
		}
		sp.discard()
		if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
			t.Errorf("%d bytes: %v left after discard", size, left)
		}
	}
	for _, limit := range []int64{10, 2 * spoolInMemory} {
		msg := bytes.Repeat([]byte("x"), int(limit)+1)
		if _, _, err := spoolMessage(bytes.NewReader(msg), limit); !errors.Is(err, mailbox.ErrTooLarge) {
			t.Errorf("%d bytes over a limit of %d: err %v, want ErrTooLarge", len(msg), limit, err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("limit %d: %d files left after a refusal", limit, len(left))
		}
	}
}

// spoolMessage spools msg whole, as Submit does a message it cannot
// stream into the store.
func spoolMessage(msg io.Reader, limit int64) (*spool, [sha256.Size]byte, error) {
	a, err := arrive(msg, limit)
	if err != nil {
		return nil, [sha256.Size]byte{}, err
	}
	return a.spool()
}

// Package backup owns the format of a node's backup file: named sections,
// each the dump of one of the node's databases (internal/chunkstore.Dump),
// cut into chunks and sealed with a SHA-256 of the whole file, so that a
// restore tells a complete backup from a cut or damaged one before it
// trusts what it loaded.
//
// The file, byte by byte:
//
//	magic    "YGGPOST-BACKUP 1\n"
//	section  'S', the name's length (uvarint) and the name, then chunks:
//	         each a length (uvarint, 1 to MaxChunk) and that many bytes;
//	         a length of 0 ends the section
//	...      more sections
//	trailer  'E' and the SHA-256 of every byte before the 'E'
//
// A backup is written as a stream (a running node's databases are dumped
// while it serves), so no section knows its size in advance; the chunks
// make each section's end explicit without escaping its bytes.
package backup

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Magic opens every backup file.
const Magic = "YGGPOST-BACKUP 1\n"

// MaxChunk is the largest chunk a writer makes and a reader accepts.
const MaxChunk = 1 << 20

// MaxName bounds a section's name.
const MaxName = 64

// Errors of a backup that cannot be restored.
var (
	ErrNotBackup = errors.New("not a Yggpost backup file")
	ErrDamaged   = errors.New("the backup file is damaged")
	ErrTruncated = errors.New("the backup file is incomplete (cut short)")
)

// Writer writes a backup file: Section for each database, then Close.
type Writer struct {
	w   *bufio.Writer
	sum hash.Hash
	cur *sectionWriter
	err error
}

// NewWriter starts a backup file on w.
func NewWriter(w io.Writer) *Writer {
	bw := &Writer{w: bufio.NewWriterSize(w, 64<<10), sum: sha256.New()}
	bw.write([]byte(Magic))
	return bw
}

// write writes p to the file and the checksum, keeping the first error.
func (bw *Writer) write(p []byte) {
	if bw.err != nil {
		return
	}
	bw.sum.Write(p)
	_, bw.err = bw.w.Write(p)
}

func (bw *Writer) writeUvarint(v uint64) {
	bw.write(binary.AppendUvarint(nil, v))
}

// Section starts the section called name; the previous one, if still
// open, ends. Its bytes go into the returned writer, which must be closed
// before the next Section or Close.
func (bw *Writer) Section(name string) (io.WriteCloser, error) {
	if len(name) == 0 || len(name) > MaxName {
		return nil, fmt.Errorf("backup section name %q: want 1 to %d bytes", name, MaxName)
	}
	if bw.cur != nil {
		return nil, errors.New("backup: the previous section is still open")
	}
	bw.write([]byte{'S'})
	bw.writeUvarint(uint64(len(name)))
	bw.write([]byte(name))
	bw.cur = &sectionWriter{bw: bw}
	return bw.cur, bw.err
}

// Close writes the trailer and flushes. The file is a complete backup only
// if Close returns nil.
func (bw *Writer) Close() error {
	if bw.cur != nil {
		return errors.New("backup: a section is still open")
	}
	bw.write([]byte{'E'})
	if bw.err == nil {
		_, bw.err = bw.w.Write(bw.sum.Sum(nil)) // the sum does not cover itself
	}
	if bw.err == nil {
		bw.err = bw.w.Flush()
	}
	return bw.err
}

// sectionWriter cuts a section's bytes into chunks of at most MaxChunk.
type sectionWriter struct {
	bw *Writer
}

func (sw *sectionWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		chunk := p[:min(len(p), MaxChunk)]
		sw.bw.writeUvarint(uint64(len(chunk)))
		sw.bw.write(chunk)
		p = p[len(chunk):]
	}
	if sw.bw.err != nil {
		return 0, sw.bw.err
	}
	return n, nil
}

// Close ends the section.
func (sw *sectionWriter) Close() error {
	if sw.bw.cur != sw {
		return errors.New("backup: section closed twice")
	}
	sw.bw.writeUvarint(0)
	sw.bw.cur = nil
	return sw.bw.err
}

package chunkstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

// readFirstChunk reads what io.ReadFull into a chunk-sized buffer reads,
// whatever the size and however the reader splits its reads, and reports
// the reader's end (eof) only for a blob shorter than a chunk.
func TestReadFirstChunkIsReadFull(t *testing.T) {
	for _, size := range []int{0, 1, 16 << 10, 16<<10 + 1, 100_000, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2 * ChunkSize} {
		data := bytes.Repeat([]byte("0123456789abcdefg"), size/17+1)[:size]
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.HalfReader(bytes.NewReader(data)), iotest.OneByteReader(bytes.NewReader(data))} {
			want := make([]byte, ChunkSize)
			n, _ := io.ReadFull(bytes.NewReader(data), want)
			got, eof, err := readFirstChunk(r)
			if !bytes.Equal(got, want[:n]) || err != nil || eof != (size < ChunkSize) {
				t.Fatalf("size %d: got %d bytes, eof %v, %v; want %d, eof %v", size, len(got), eof, err, n, size < ChunkSize)
			}
			if cap(got) > ChunkSize+ChunkSize/2 {
				t.Fatalf("size %d: buffer of %d bytes", size, cap(got))
			}
		}
	}
}

// cutShort yields data, then fails with err instead of io.EOF, as a
// network stream cut off mid-message does (io.ErrUnexpectedEOF from an SMTP
// or IMAP literal reader).
type cutShort struct {
	r   io.Reader
	err error
}

func (c *cutShort) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		err = c.err
	}
	return n, err
}

// A reader that fails with io.ErrUnexpectedEOF, bare or wrapped, fails
// Take at any size, and leaves no chunk behind: it is a stream cut short,
// not the end of the blob.
func TestTakeRefusesAStreamCutShort(t *testing.T) {
	b := openBlobs(t)
	for _, size := range []int{0, 100, ChunkSize, 3*ChunkSize + 17, ChunksPerTxn*ChunkSize + 5} {
		for _, cut := range []error{io.ErrUnexpectedEOF, fmt.Errorf("read message data: %w", io.ErrUnexpectedEOF)} {
			data := bytes.Repeat([]byte("x"), size)
			p, err := b.Take(&cutShort{r: bytes.NewReader(data), err: cut}, 1<<30)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%d bytes cut short (%v): taken as a blob of %d bytes, err %v", size, cut, p.Size, err)
			}
			if keys, err := KeysWithPrefix(b.DB, []byte{tag}); err != nil || len(keys) != 0 {
				t.Fatalf("%d bytes cut short: %d chunks left (%v)", size, len(keys), err)
			}
		}
	}
}

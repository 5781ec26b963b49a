package chunkstore

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// readFirstChunk behaves as io.ReadFull into a chunk-sized buffer: the
// same bytes and the same error, whatever the size and however the reader
// splits its reads.
func TestReadFirstChunkIsReadFull(t *testing.T) {
	for _, size := range []int{0, 1, 16 << 10, 16<<10 + 1, 100_000, ChunkSize - 1, ChunkSize, ChunkSize + 1, 2 * ChunkSize} {
		data := bytes.Repeat([]byte("0123456789abcdefg"), size/17+1)[:size]
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.HalfReader(bytes.NewReader(data)), iotest.OneByteReader(bytes.NewReader(data))} {
			want := make([]byte, ChunkSize)
			n, wantErr := io.ReadFull(bytes.NewReader(data), want)
			got, err := readFirstChunk(r)
			if !bytes.Equal(got, want[:n]) || !errors.Is(err, wantErr) && err != wantErr {
				t.Fatalf("size %d: got %d bytes, %v; want %d, %v", size, len(got), err, n, wantErr)
			}
			if cap(got) > ChunkSize+ChunkSize/2 {
				t.Fatalf("size %d: buffer of %d bytes", size, cap(got))
			}
		}
	}
}

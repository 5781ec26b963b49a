package backup

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Reader reads a backup file section by section. Next returns io.EOF only
// after the trailer's checksum matched: until then nothing read may be
// trusted.
type Reader struct {
	r    *bufio.Reader
	sum  hash.Hash
	cur  *sectionReader
	done bool
}

// NewReader checks the magic of a backup file on r.
func NewReader(r io.Reader) (*Reader, error) {
	br := &Reader{r: bufio.NewReaderSize(r, 64<<10), sum: sha256.New()}
	magic := make([]byte, len(Magic))
	if _, err := io.ReadFull(br.r, magic); err != nil || string(magic) != Magic {
		return nil, ErrNotBackup
	}
	br.sum.Write(magic)
	return br, nil
}

// readByte reads one byte into the checksum; the end of the file is
// ErrTruncated.
func (br *Reader) readByte() (byte, error) {
	b, err := br.r.ReadByte()
	if err != nil {
		return 0, truncated(err)
	}
	br.sum.Write([]byte{b})
	return b, nil
}

func (br *Reader) readUvarint(max uint64, what string) (uint64, error) {
	v, err := binary.ReadUvarint(byteReader{br})
	if err != nil {
		return 0, truncated(err)
	}
	if v > max {
		return 0, fmt.Errorf("%w: %s of %d bytes (at most %d)", ErrDamaged, what, v, max)
	}
	return v, nil
}

// byteReader feeds binary.ReadUvarint through the checksum.
type byteReader struct{ br *Reader }

func (b byteReader) ReadByte() (byte, error) { return b.br.readByte() }

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return err
}

// Next returns the next section's name and its bytes, to be read to their
// end before Next is called again (Next skips what is left). After the last
// section it checks the trailer: io.EOF means the whole file is intact.
func (br *Reader) Next() (string, io.Reader, error) {
	if br.cur != nil {
		if _, err := io.Copy(io.Discard, br.cur); err != nil {
			return "", nil, err
		}
		br.cur = nil
	}
	if br.done {
		return "", nil, io.EOF
	}
	kind, err := br.readByte()
	if err != nil {
		return "", nil, err
	}
	switch kind {
	case 'E':
		return "", nil, br.checkTrailer()
	case 'S':
		return br.openSection()
	default:
		return "", nil, fmt.Errorf("%w: unexpected byte %#x between sections", ErrDamaged, kind)
	}
}

func (br *Reader) openSection() (string, io.Reader, error) {
	n, err := br.readUvarint(MaxName, "section name")
	if err != nil {
		return "", nil, err
	}
	if n == 0 {
		return "", nil, fmt.Errorf("%w: a section without a name", ErrDamaged)
	}
	name := make([]byte, n)
	if _, err := io.ReadFull(br.r, name); err != nil {
		return "", nil, truncated(err)
	}
	br.sum.Write(name)
	br.cur = &sectionReader{br: br}
	return string(name), br.cur, nil
}

// checkTrailer compares the trailer's SHA-256 with the file's and makes
// sure nothing follows it.
func (br *Reader) checkTrailer() error {
	want := br.sum.Sum(nil)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(br.r, got); err != nil {
		return truncated(err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%w: its checksum does not match its contents", ErrDamaged)
	}
	if _, err := br.r.ReadByte(); err != io.EOF {
		return fmt.Errorf("%w: bytes after its end", ErrDamaged)
	}
	br.done = true
	return io.EOF
}

// sectionReader reads one section's chunks.
type sectionReader struct {
	br   *Reader
	left uint64 // bytes of the current chunk still to read
	end  bool
}

func (sr *sectionReader) Read(p []byte) (int, error) {
	for sr.left == 0 {
		if sr.end {
			return 0, io.EOF
		}
		n, err := sr.br.readUvarint(MaxChunk, "chunk")
		if err != nil {
			return 0, err
		}
		if n == 0 {
			sr.end = true
			return 0, io.EOF
		}
		sr.left = n
	}
	p = p[:min(uint64(len(p)), sr.left)]
	n, err := sr.br.r.Read(p)
	sr.br.sum.Write(p[:n])
	sr.left -= uint64(n)
	if err != nil {
		return n, truncated(err)
	}
	return n, nil
}

package mailheader

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMax bounds the header block the node reads before it takes a
// message: at submission, from another node, and at APPEND to Sent.
const DefaultMax = 256 << 10

// ErrTooLarge is returned by Read for a header block longer than its
// bound.
var ErrTooLarge = errors.New("message header block too large")

// Read reads the header block of a message from r (see the package
// comment for where it ends) and returns it with a reader for the rest of
// the message, which is left unread. A block longer than max bytes is cut:
// Read returns its first max bytes with ErrTooLarge, and rest then yields
// the bytes after those, so block followed by rest is the whole message
// whenever err is nil or ErrTooLarge.
func Read(r io.Reader, max int) (block []byte, rest io.Reader, err error) {
	br := bufio.NewReaderSize(r, min(max+1, 32<<10))
	block = []byte{}
	lineStart := 0
	for len(block) <= max {
		frag, err := br.ReadSlice('\n')
		block = append(block, frag...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue // the line goes on
		case errors.Is(err, io.EOF):
			return cut(block, br, max)
		case err != nil:
			return nil, nil, fmt.Errorf("read header block: %w", err)
		}
		if isEmptyLine(block[lineStart:]) {
			return cut(block, br, max)
		}
		lineStart = len(block)
	}
	return cut(block, br, max)
}

// cut returns block and the reader after it, or the first max bytes of
// block with ErrTooLarge and a reader that starts with the bytes cut off.
func cut(block []byte, br *bufio.Reader, max int) ([]byte, io.Reader, error) {
	if len(block) <= max {
		return block, br, nil
	}
	over := bytes.Clone(block[max:])
	return block[:max], io.MultiReader(bytes.NewReader(over), br), ErrTooLarge
}

// isEmptyLine reports whether line is nothing but a line break.
func isEmptyLine(line []byte) bool {
	return string(line) == "\r\n" || string(line) == "\n"
}

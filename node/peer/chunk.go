package peer

import (
	"fmt"
	"io"
	"time"
)

// chunkReader yields exactly left octets of the stream. A stream that ends
// or fails early yields io.ErrUnexpectedEOF (or the stream error) instead of
// a clean io.EOF, so a reader that uses io.ReadAll cannot mistake a cut
// chunk for a whole one. Each read is bounded by timeout.
type chunkReader struct {
	r       io.Reader
	left    int64
	dl      *deadlines
	timeout time.Duration
	err     error // sticky stream error
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	if err := c.dl.armRead(c.timeout); err != nil {
		c.err = fmt.Errorf("read envelope chunk: %w", err)
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if err == io.EOF && c.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err != nil && c.left > 0 {
		c.err = fmt.Errorf("read envelope chunk, %d octets missing: %w", c.left, c.dl.ioErr(err))
		return n, c.err
	}
	return n, nil
}

package imapd

import (
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
)

// maxHeaderSize bounds the header block read into memory for ENVELOPE,
// BODY[HEADER...] and SEARCH; a longer header is cut there.
const maxHeaderSize = 1 << 20

// content gives lazy access to one message's stored bytes. Each accessor
// opens its own stream from the store, so nothing beyond the header block
// is kept in memory.
type content struct {
	store   *mailbox.Store
	mailbox string
	msg     mailbox.Message

	rawHeader []byte // header block including the blank line; nil until read
}

// open streams the whole message.
func (c *content) open() (io.ReadCloser, error) {
	r, err := c.store.OpenMessage(c.mailbox, c.msg.UID)
	if err != nil {
		return nil, fmt.Errorf("open message %d in %q: %w", c.msg.UID, c.mailbox, err)
	}
	return r, nil
}

// header returns the raw header block, up to and including the empty line
// that ends it (mailheader.Read), or the whole message if it has no body;
// a block longer than maxHeaderSize is cut there.
func (c *content) header() ([]byte, error) {
	if c.rawHeader != nil {
		return c.rawHeader, nil
	}
	r, err := c.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	raw, _, err := mailheader.Read(r, maxHeaderSize)
	if err != nil && !errors.Is(err, mailheader.ErrTooLarge) {
		return nil, fmt.Errorf("read header of message %d in %q: %w", c.msg.UID, c.mailbox, err)
	}
	c.rawHeader = raw
	return raw, nil
}

// envelope builds the message's ENVELOPE from its header block
// (envelopeOf): a header that cannot be parsed still has one.
func (c *content) envelope() (*imap.Envelope, error) {
	raw, err := c.header()
	if err != nil {
		return nil, err
	}
	return envelopeOf(raw), nil
}

// copyRange writes n bytes of the message starting at off to w.
func (c *content) copyRange(w io.Writer, off, n int64) error {
	r, err := c.open()
	if err != nil {
		return err
	}
	defer r.Close()
	if _, err := io.CopyN(io.Discard, r, off); err != nil {
		return fmt.Errorf("skip to %d in message %d: %w", off, c.msg.UID, err)
	}
	if _, err := io.CopyN(w, r, n); err != nil {
		return fmt.Errorf("copy message %d: %w", c.msg.UID, err)
	}
	return nil
}

// clip applies a <offset.size> partial (RFC 9051 6.4.5) to a section of
// total bytes and returns the start and length to send.
func clip(offset, size int64, partial bool, total int64) (int64, int64) {
	if !partial {
		return 0, total
	}
	if offset >= total {
		return total, 0
	}
	return offset, min(size, total-offset)
}

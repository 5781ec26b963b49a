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
// is kept in memory. Every stream is opened through the session's
// mailbox.Pinned, which checks in the stream's own transaction that the
// name still belongs to the mailbox selected: a rename and a create that
// land after the command checked the mailbox never make it read the
// message of the same UID in the new mailbox (mailbox.ErrMailboxChanged).
type content struct {
	box     mailbox.Pinned
	mailbox string // the selected mailbox's name, for errors
	msg     mailbox.Message

	rawHeader []byte      // header block including the blank line; nil until read
	held      []io.Closer // streams hold opened, closed by release
}

// open streams the whole message.
func (c *content) open() (io.ReadCloser, error) {
	r, err := c.box.OpenMessage(c.msg.UID)
	if err != nil {
		return nil, fmt.Errorf("open message %d in %q: %w", c.msg.UID, c.mailbox, err)
	}
	return r, nil
}

// hold opens a stream now for a FETCH item written later: the mailbox is
// checked while the response is prepared, before any of it is sent, as a
// failure in the middle of a literal can only drop the connection. The
// stream reads the message as it was then; release closes it.
func (c *content) hold() (io.Reader, error) {
	r, err := c.open()
	if err != nil {
		return nil, err
	}
	c.held = append(c.held, r)
	return r, nil
}

// release closes the streams hold opened.
func (c *content) release() {
	for _, r := range c.held {
		_ = r.Close() // a read stream's Close only ends its transaction
	}
	c.held = nil
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

// rangeSource returns a writer of n bytes of the message starting at off,
// from a stream opened now (hold).
func (c *content) rangeSource(off, n int64) (func(io.Writer) error, error) {
	r, err := c.hold()
	if err != nil {
		return nil, err
	}
	return func(w io.Writer) error { return c.copyRange(r, w, off, n) }, nil
}

// copyRange writes n bytes of the message read from r, starting at off,
// to w.
func (c *content) copyRange(r io.Reader, w io.Writer, off, n int64) error {
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

package smtpd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
)

// Data receives the message after DATA (RFC 5321 §4.1.1.4) or the BDAT
// chunks (RFC 3030 §2), checks its From: header, adds a Message-ID if
// it has none (RFC 6409 §8.3) and hands it to the Submitter. go-smtp sends 250 only if this returns nil.
func (ss *session) Data(r io.Reader) error {
	if ss.conn != nil {
		ss.conn.setBusy(true)
		defer ss.conn.setBusy(false)
	}
	if !ss.mailSet || len(ss.rcpts) == 0 {
		return reply(503, 5, 5, 1, "MAIL FROM and RCPT TO first")
	}
	start := time.Now()
	cr := &countingReader{r: r}
	header, rest, err := mailheader.Read(cr, ss.s.opts.MaxHeaderSize)
	if errors.Is(err, mailheader.ErrTooLarge) {
		return reply(552, 5, 3, 4, "message header block is larger than %d bytes", ss.s.opts.MaxHeaderSize)
	}
	if err != nil {
		return transferError(cr, err)
	}
	if err := checkFrom(header, ss.s.opts.Local); err != nil {
		ss.log.Info("smtp message refused", "err", err)
		return err
	}
	header, added := ensureMessageID(header)
	if added != "" {
		ss.log.Debug("added a Message-ID", "message_id", added)
	}
	msg := io.MultiReader(bytes.NewReader(header), rest)
	to := append([]envelope.Address(nil), ss.rcpts...)
	if err := ss.s.opts.Submitter.Submit(ss.s.ctx, ss.s.opts.Local, to, msg); err != nil {
		return ss.submitError(cr, err)
	}
	if n, err := io.Copy(io.Discard, msg); n > 0 || err != nil {
		ss.log.Error("submitter returned before reading the whole message", "unread", n, "err", err)
	}
	ss.log.Info("smtp message accepted", "from", ss.s.opts.Local.String(),
		"rcpts", len(to), "size", cr.n, "duration", time.Since(start))
	return nil
}

// submitError turns a failed Submit into the reply for the client. A
// failed transfer (too large, connection lost) is reported as such even
// if the Submitter wrapped it.
func (ss *session) submitError(cr *countingReader, err error) error {
	if cr.err != nil {
		return transferError(cr, cr.err)
	}
	ss.log.Warn("smtp submit failed", "err", err)
	switch {
	case errors.Is(err, mailbox.ErrOutboxFull):
		return reply(452, 4, 3, 1, "outbox full, try again later: %v", err)
	case errors.Is(err, mailbox.ErrTooLarge):
		return reply(552, 5, 3, 4, "%v", err)
	}
	return reply(451, 4, 3, 0, "message not queued: %v", err)
}

// transferError is the reply when reading the message failed.
func transferError(cr *countingReader, err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se // go-smtp's own size limit, or ours on the header
	}
	if errors.Is(err, smtp.ErrTooLongLine) {
		// Sending the same message again fails the same way: permanent
		// (RFC 5321 section 4.5.3.1.6 limits lines; 4.2.2 "line too long").
		return reply(500, 5, 5, 2, "line too long: at most %d octets per line, including CRLF", maxLineLength)
	}
	return reply(451, 4, 3, 0, "message transfer failed after %d bytes: %v", cr.n, err)
}

// countingReader counts the bytes read and remembers the first error
// other than io.EOF.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = fmt.Errorf("read message: %w", err)
	}
	return n, err
}

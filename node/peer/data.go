package peer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// MessageReceiver is an optional add-on to Receiver for classic SMTP peers
// (original Yggmail nodes), which send a plain RFC 5322 message with DATA
// instead of a sealed envelope. A Server whose Receiver implements it
// accepts DATA and advertises 8BITMIME; otherwise DATA is refused with 502.
type MessageReceiver interface {
	// ReceiveMessage reads the message from r until io.EOF (CRLF line
	// endings kept, dot-stuffing removed, at most the server's MaxSize
	// octets), stores it durably and returns nil only once it is fsynced.
	// Results are mapped to replies as for Receiver.Receive.
	ReceiveMessage(ctx context.Context, peer, recipient envelope.Address, r io.Reader) error
}

// errTooLarge is returned by dotReader once the message passes the limit.
var errTooLarge = errors.New("message exceeds the size limit")

// cmdDATA receives a classic message (RFC 5321 section 4.1.1.4). The data
// has no length prefix, so a message over the limit closes the stream.
func cmdDATA(s *session, _ string) error {
	mr, ok := s.srv.Receiver.(MessageReceiver)
	if !ok {
		return s.replyErr(&Error{502, "5.5.1", "DATA not implemented, use BDAT with YGGPOST"})
	}
	tx := s.tx
	if s.hello == "" || tx == nil || !tx.hasRcpt {
		return s.replyErr(&Error{503, "5.5.1", "need MAIL and RCPT before DATA"})
	}
	s.tx = nil
	if err := s.reply(354, "", "end data with <CR><LF>.<CR><LF>"); err != nil {
		return err
	}
	if err := s.out.flush(); err != nil { // the data follows only once the client has the 354
		return err
	}
	d := &dotReader{br: s.br, dl: s.dl, timeout: s.t.Data, limit: s.maxSize, bol: true}
	err := mr.ReceiveMessage(s.ctx, s.peer, tx.rcpt, d)
	if _, derr := io.Copy(io.Discard, d); errors.Is(derr, errTooLarge) {
		_ = s.replyErr(&Error{552, "5.3.4", "message exceeds the limit of " + fmtSize(s.maxSize) + "; closing"})
		return fmt.Errorf("DATA over limit %d", s.maxSize)
	} else if derr != nil {
		s.log.Warn("message data cut short", "receiver_err", err)
		return fmt.Errorf("receive message: %w", derr)
	}
	return s.answer(s.receiveReply(d.n, err))
}

// dotReader yields the message text that follows DATA up to the lone "."
// line, removing the leading dot of stuffed lines (RFC 5321 section 4.5.2).
// A stream that ends first yields io.ErrUnexpectedEOF; more than limit
// octets yield errTooLarge. Each read is bounded by timeout.
type dotReader struct {
	br      *bufio.Reader
	dl      *deadlines
	timeout time.Duration
	limit   int64
	n       int64  // octets handed out
	pending []byte // unread rest of the current fragment (aliases br's buffer)
	bol     bool   // the next fragment starts a line
	done    bool
	err     error
}

func (d *dotReader) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		if d.done {
			return 0, io.EOF
		}
		d.fill()
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

// fill reads the next line fragment into pending, or sets done or err.
func (d *dotReader) fill() {
	if err := d.dl.armRead(d.timeout); err != nil {
		d.err = fmt.Errorf("read message data: %w", err)
		return
	}
	frag, err := d.br.ReadSlice('\n')
	if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		d.err = fmt.Errorf("read message data: %w", d.dl.ioErr(err))
		return
	}
	if d.bol && bytes.Equal(frag, []byte(".\r\n")) {
		d.done = true
		return
	}
	if d.bol && frag[0] == '.' {
		frag = frag[1:]
	}
	d.bol = err == nil
	if d.n += int64(len(frag)); d.n > d.limit {
		d.err = errTooLarge
		return
	}
	d.pending = frag
}

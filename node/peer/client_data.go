package peer

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/textproto"

	"github.com/yggpost/yggpost/envelope"
)

// SendMessage delivers a plain RFC 5322 message the classic way, as
// original Yggmail nodes take mail (section 9 of docs/protocol.md): MAIL
// FROM, RCPT TO, DATA, the dot-stuffed text and the final ".". Line ends
// are sent as CR LF. nil means the peer answered 250 to the final dot;
// *Error is its refusal; other errors are transport failures (outcome
// unknown, retry).
//
// Use it only when the peer does not speak YGGPOST 1 (Yggpost reports
// false): the message crosses the stream in the clear, protected only by
// the transport.
func (sc *ClientConn) SendMessage(ctx context.Context, recipient envelope.Address, size int64, msg io.Reader) error {
	if max, ok := sc.peerMaxSize(); ok && size > max {
		return &Error{552, "5.3.4", fmt.Sprintf("message of %d octets exceeds the peer's SIZE limit of %d", size, max)}
	}
	stop := sc.dl.bind(ctx)
	defer stop()
	mail := fmt.Sprintf("MAIL FROM:<%s>", sc.local)
	if _, ok := sc.Extension("8BITMIME"); ok {
		mail += " BODY=8BITMIME"
	}
	if _, ok := sc.peerMaxSize(); ok {
		mail += fmt.Sprintf(" SIZE=%d", size)
	}
	if _, err := sc.cmd(250, sc.t.Command, mail); err != nil {
		return fmt.Errorf("send message: MAIL: %w", err)
	}
	if _, err := sc.cmd(250, sc.t.Command, fmt.Sprintf("RCPT TO:<%s>", recipient)); err != nil {
		sc.abort()
		return fmt.Errorf("send message: RCPT: %w", err)
	}
	if _, err := sc.cmd(354, sc.t.Command, "DATA"); err != nil {
		sc.abort()
		return fmt.Errorf("send message: DATA: %w", err)
	}
	if err := sc.writeDotted(msg); err != nil {
		sc.conn.Close() // the end of the text cannot be signalled any more
		return fmt.Errorf("send message: %w", err)
	}
	if _, err := sc.read250(); err != nil {
		return fmt.Errorf("send message: end of data: %w", err)
	}
	return nil
}

// writeDotted writes msg dot-stuffed with CR LF line ends, then "." CR LF.
func (sc *ClientConn) writeDotted(msg io.Reader) error {
	tw := &timedWriter{sc: sc}
	bw := bufio.NewWriterSize(tw, 32<<10)
	dw := textproto.NewWriter(bw).DotWriter()
	if _, err := io.Copy(dw, msg); err != nil {
		if tw.err != nil {
			return fmt.Errorf("write text: %w", tw.err)
		}
		return fmt.Errorf("read message: %w", err)
	}
	if err := dw.Close(); err != nil {
		return fmt.Errorf("write end of text: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write text: %w", err)
	}
	return nil
}

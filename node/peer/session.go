package peer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/yggpost/yggpost/envelope"
)

// session is the state of one server-side stream.
type session struct {
	srv     *Server
	ctx     context.Context
	conn    net.Conn
	br      *bufio.Reader
	dl      *deadlines
	t       Timeouts
	peer    envelope.Address
	maxSize int64
	log     *slog.Logger

	hello  string       // argument of the last EHLO/HELO; "" before it
	ehlo   bool         // the last hello was EHLO, so extensions are on
	tx     *transaction // nil outside MAIL ... BDAT
	errors int          // refused commands so far
}

// transaction is one MAIL/RCPT/BDAT sequence.
type transaction struct {
	from    envelope.Address
	size    int64 // SIZE= from MAIL, -1 when absent
	rcpt    envelope.Address
	hasRcpt bool
	deposit bool // rcpt is a relay member, not this node: BDAT goes to Relay
}

// run greets the peer and then serves commands until QUIT or failure.
func (s *session) run() error {
	if err := s.open(); err != nil {
		return err
	}
	for {
		line, ok, err := s.readCommand()
		if err != nil {
			return err
		}
		if !ok {
			continue // an over-long or malformed line, already answered
		}
		if err := s.dispatch(line); err != nil {
			return err
		}
		if s.errors >= maxErrors {
			_ = s.replyErr(errTooMany)
			return fmt.Errorf("closed after %d refused commands", s.errors)
		}
	}
}

// open consumes the dialer's space byte and sends the 220 greeting.
func (s *session) open() error {
	if err := s.dl.arm(s.t.Greeting); err != nil {
		return err
	}
	b, err := s.br.ReadByte()
	if err != nil {
		return fmt.Errorf("read opening space byte: %w", s.dl.ioErr(err))
	}
	if b != ' ' {
		_ = s.reply(554, "", "stream must open with one space octet")
		return fmt.Errorf("stream opened with %q, want a space", b)
	}
	return s.reply(220, "", s.srv.Local.String()+" Yggpost ESMTP ready")
}

// readCommand waits for the next command line. ok is false after a line
// that was too long or not CRLF-terminated has been answered; an error ends
// the session (errQuit when the peer closed the stream between commands).
func (s *session) readCommand() (line string, ok bool, err error) {
	if err := s.dl.arm(s.t.Command); err != nil {
		return "", false, err
	}
	line, err = readLineMax(s.br, maxLongLine)
	switch {
	case err == nil && len(line)+2 > maxLine && !longVerbs[verbOf(line)]:
		return "", false, s.replyErr(errLineLong)
	case err == nil:
		return line, true, nil
	case errors.Is(err, errLineTooLong):
		return "", false, s.replyErr(errLineLong)
	case errors.Is(err, errNoCRLF):
		return "", false, s.replyErr(errBareLF)
	case errors.Is(err, io.EOF):
		return "", false, errQuit
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() && s.ctx.Err() == nil {
		_ = s.writeRaw(errTimeout) // best effort: the session ends either way
	}
	return "", false, fmt.Errorf("read command: %w", s.dl.ioErr(err))
}

// reply writes one reply under the command timeout.
func (s *session) reply(code int, enhanced string, lines ...string) error {
	if err := s.dl.arm(s.t.Command); err != nil {
		return err
	}
	if err := writeReply(s.conn, code, enhanced, lines...); err != nil {
		return fmt.Errorf("write %d reply: %w", code, s.dl.ioErr(err))
	}
	return nil
}

// replyErr sends a refusal and counts it.
func (s *session) replyErr(e *Error) error {
	s.errors++
	return s.reply(e.Code, e.Enhanced, e.Message)
}

// writeRaw sends a last-gasp reply on a stream whose deadline has passed.
func (s *session) writeRaw(e *Error) error {
	if err := s.dl.arm(s.t.Greeting); err != nil {
		return err
	}
	return writeReply(s.conn, e.Code, e.Enhanced, e.Message)
}

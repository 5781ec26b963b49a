package peer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"

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
	out     *answers     // replies, written in order by their own goroutine
	aside   atomic.Int64 // octets of envelopes being stored beside the session

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
		if err := s.out.err(); err != nil {
			return fmt.Errorf("write reply: %w", err)
		}
		if s.errors+int(s.out.lateRefusals.Load()) >= maxErrors {
			_ = s.replyErr(errTooMany)
			return fmt.Errorf("closed after %d refused commands", s.errors)
		}
	}
}

// open consumes the dialer's space byte and sends the 220 greeting.
func (s *session) open() error {
	if err := s.dl.armRead(s.t.Greeting); err != nil {
		return err
	}
	b, err := s.br.ReadByte()
	if err != nil {
		return fmt.Errorf("read opening space byte: %w", s.dl.ioErr(err))
	}
	if b != ' ' {
		_ = s.reply(554, "", "stream must open with one space octet")
		_ = s.out.flush()
		return fmt.Errorf("stream opened with %q, want a space", b)
	}
	return s.reply(220, "", s.srv.Local.String()+" Yggpost ESMTP ready")
}

// readCommand waits for the next command line. ok is false after a line
// that was too long or not CRLF-terminated has been answered; an error ends
// the session (errQuit when the peer closed the stream between commands).
func (s *session) readCommand() (line string, ok bool, err error) {
	if err := s.dl.armRead(s.t.Command); err != nil {
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

// reply queues one reply; the session's writer sends it after the replies
// before it. An error is an earlier write failure: the session is over.
func (s *session) reply(code int, enhanced string, lines ...string) error {
	return s.out.add(reply{code, enhanced, lines})
}

// answer queues r, counting it if it is a refusal.
func (s *session) answer(r reply) error {
	if r.Code >= 400 {
		s.errors++
	}
	return s.out.add(r)
}

// replyErr sends a refusal and counts it.
func (s *session) replyErr(e *Error) error {
	s.errors++
	return s.reply(e.Code, e.Enhanced, e.Message)
}

// writeRaw sends a last-gasp reply on a stream whose read deadline has
// passed.
func (s *session) writeRaw(e *Error) error {
	if err := s.reply(e.Code, e.Enhanced, e.Message); err != nil {
		return err
	}
	return s.out.flush()
}

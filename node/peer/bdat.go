package peer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// cmdBDAT receives the sealed envelope as one chunk (RFC 3030 section 2).
// The chunk's octets always follow the command, so every path either reads
// exactly that many octets or closes the stream; only a stored envelope is
// answered 250.
func cmdBDAT(s *session, arg string) error {
	n, last, ok := parseBDAT(arg)
	if !ok {
		_ = s.replyErr(&Error{501, "5.5.4", "syntax: BDAT <size> LAST; closing, chunk length unknown"})
		return fmt.Errorf("unparsable BDAT %q", truncate(arg))
	}
	if n > s.maxSize {
		_ = s.replyErr(&Error{552, "5.3.4", "chunk exceeds the limit of " + fmtSize(s.maxSize) + "; closing"})
		return fmt.Errorf("BDAT of %d octets over limit %d", n, s.maxSize)
	}
	tx := s.tx
	s.tx = nil // a chunk ends the transaction whatever its outcome
	if e := s.checkBDAT(tx, n, last); e != nil {
		if err := s.discard(n); err != nil {
			return err
		}
		return s.replyErr(e)
	}
	if tx.deposit {
		return s.deposit(tx, n)
	}
	return s.receive(tx, n)
}

// parseBDAT parses "<size>" or "<size> LAST".
func parseBDAT(arg string) (n int64, last bool, ok bool) {
	f := strings.Split(arg, " ")
	if len(f) > 2 || len(f[0]) > 18 || !isDigits(f[0]) {
		return 0, false, false
	}
	if len(f) == 2 {
		if !strings.EqualFold(f[1], "LAST") {
			return 0, false, false
		}
		last = true
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	return n, last, err == nil
}

// checkBDAT refuses a well-formed chunk the session cannot take.
func (s *session) checkBDAT(tx *transaction, n int64, last bool) *Error {
	switch {
	case !s.ehlo:
		return &Error{503, "5.5.1", "BDAT needs EHLO"}
	case tx == nil || !tx.hasRcpt:
		return &Error{503, "5.5.1", "need MAIL and RCPT before BDAT"}
	case !last:
		return &Error{504, "5.5.4", "only one BDAT chunk marked LAST is supported"}
	case tx.size >= 0 && n != tx.size:
		return &Error{501, "5.5.4", fmt.Sprintf("BDAT size %d differs from MAIL SIZE=%d", n, tx.size)}
	}
	return nil
}

// discard reads and drops n chunk octets so the next command is in sync.
func (s *session) discard(n int64) error {
	c := s.chunk(n)
	if _, err := io.Copy(io.Discard, c); err != nil {
		return fmt.Errorf("discard refused chunk: %w", err)
	}
	return nil
}

// receive hands the chunk to the Receiver and acknowledges only success.
// A small chunk is read into memory and stored beside the session (aside),
// so the session reads on; the reply keeps its place in the order.
func (s *session) receive(tx *transaction, n int64) error {
	store := func(r io.Reader) reply {
		return s.receiveReply(n, s.srv.Receiver.Receive(s.ctx, s.peer, tx.rcpt, n, r))
	}
	return s.storeChunk(n, store)
}

// storeChunk reads the chunk and has store keep it: beside the session
// when it is small enough, otherwise streaming while the session waits.
// store returns the reply to BDAT.
func (s *session) storeChunk(n int64, store func(io.Reader) reply) error {
	c := s.chunk(n)
	if n <= storeAsideMax && s.aside.Load()+n <= storeAsideBytes {
		buf := make([]byte, n)
		if _, err := io.ReadFull(c, buf); err != nil {
			s.log.Warn("envelope chunk cut short", "size", n)
			return fmt.Errorf("receive envelope: %w", err)
		}
		s.aside.Add(n)
		a := s.out.later()
		go func() {
			defer s.aside.Add(-n)
			s.out.settle(a, store(bytes.NewReader(buf)))
		}()
		return s.out.err()
	}
	r := store(c)
	if _, derr := io.Copy(io.Discard, c); derr != nil || c.err != nil {
		// The stream broke mid-chunk: whatever the store said, nothing
		// may be acknowledged, and the stream is out of sync.
		s.log.Warn("envelope chunk cut short", "size", n, "reply", r.Code)
		return fmt.Errorf("receive envelope: %w", errors.Join(c.err, derr))
	}
	return s.answer(r)
}

// receiveReply maps the Receiver's result to the BDAT reply.
func (s *session) receiveReply(n int64, err error) reply {
	var e *Error
	switch {
	case err == nil:
		s.log.Debug("envelope stored", "size", n)
		return reply{250, "2.0.0", []string{"envelope stored"}}
	case errors.Is(err, ErrDuplicate):
		s.log.Debug("duplicate envelope acknowledged", "size", n)
		return reply{250, "2.0.0", []string{"duplicate, envelope already stored"}}
	case errors.As(err, &e) && e.Code >= 400 && e.Code < 600:
		s.log.Info("envelope refused", "size", n, "err", err)
		return reply{e.Code, e.Enhanced, []string{e.Message}}
	}
	s.log.Error("store envelope", "size", n, "err", err)
	return reply{errLocal.Code, errLocal.Enhanced, []string{errLocal.Message}}
}

// chunk returns a reader for the next n octets of the stream.
func (s *session) chunk(n int64) *chunkReader {
	return &chunkReader{r: s.br, left: n, dl: s.dl, timeout: s.t.Data}
}

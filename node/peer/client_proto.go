package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// greet writes the space byte that makes the stream visible to the
// listener and reads the 220 greeting.
func (sc *ClientConn) greet() error {
	if err := sc.dl.arm(sc.t.Greeting); err != nil {
		return err
	}
	if _, err := io.WriteString(sc.conn, " "); err != nil {
		return fmt.Errorf("write opening space byte: %w", sc.dl.ioErr(err))
	}
	r, err := sc.read(sc.t.Greeting)
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	if r.Code != 220 {
		return r.err()
	}
	return nil
}

// hello sends EHLO and records the extensions; if EHLO is refused with a
// permanent error it falls back to HELO (no extensions).
func (sc *ClientConn) hello() error {
	r, err := sc.cmd(250, sc.t.Command, "EHLO "+sc.hostname())
	if e, ok := errors.AsType[*Error](err); ok && !e.Temporary() {
		_, err = sc.cmd(250, sc.t.Command, "HELO "+sc.hostname())
		sc.exts = map[string]string{}
		return err
	}
	if err != nil {
		return err
	}
	sc.exts = parseExtensions(r.Lines[1:])
	sc.remote = greeter(r.Lines[0])
	return nil
}

// greeter parses the server's address from the first line of its EHLO
// reply ("<address> greets ..."); zero if there is none.
func greeter(line string) envelope.Address {
	word, _, _ := strings.Cut(line, " ")
	a, err := envelope.ParseAddress(word)
	if err != nil {
		return envelope.Address{}
	}
	return a
}

// parseExtensions reads "KEYWORD params" lines of an EHLO reply.
func parseExtensions(lines []string) map[string]string {
	exts := make(map[string]string, len(lines))
	for _, l := range lines {
		kw, params, _ := strings.Cut(l, " ")
		exts[strings.ToUpper(kw)] = params
	}
	return exts
}

// Send delivers one envelope of exactly size octets read from sealed:
// MAIL FROM with SIZE, RCPT TO, then BDAT size LAST with the octets.
//
// nil means the peer acknowledged it as durably stored (or already
// stored). An *Error is a refusal: the peer's reply, or a 552 5.3.4 made
// up locally when size exceeds the peer's advertised SIZE, in which case
// nothing is sent. ErrNoExtension means the peer does not speak YGGPOST 1.
// After an *Error or ErrNoExtension the session is still usable; after any
// other error it is not, and the outcome is unknown.
func (sc *ClientConn) Send(ctx context.Context, recipient envelope.Address, size int64, sealed io.Reader) error {
	_, err := sc.transact(ctx, recipient, size, sealed)
	return err
}

// transact runs one MAIL, RCPT, BDAT LAST transaction and returns the 250
// reply to BDAT.
func (sc *ClientConn) transact(ctx context.Context, recipient envelope.Address, size int64, sealed io.Reader) (*reply, error) {
	if err := sc.checkEnvelope(size); err != nil {
		return nil, err
	}
	stop := sc.dl.bind(ctx)
	defer stop()
	if _, err := sc.cmd(250, sc.t.Command, fmt.Sprintf("MAIL FROM:<%s> SIZE=%d", sc.local, size)); err != nil {
		return nil, fmt.Errorf("send envelope: MAIL: %w", err)
	}
	if _, err := sc.cmd(250, sc.t.Command, fmt.Sprintf("RCPT TO:<%s>", recipient)); err != nil {
		sc.abort()
		return nil, fmt.Errorf("send envelope: RCPT: %w", err)
	}
	return sc.bdat(size, sealed)
}

// checkEnvelope refuses, before anything is sent, an envelope the peer
// cannot take: no YGGPOST, or over its SIZE limit (a 552 made up locally).
func (sc *ClientConn) checkEnvelope(size int64) error {
	if !sc.Yggpost() {
		return ErrNoExtension
	}
	if size < 0 {
		return fmt.Errorf("send envelope: negative size %d", size)
	}
	if max, ok := sc.peerMaxSize(); ok && size > max {
		return &Error{552, "5.3.4", fmt.Sprintf("envelope of %d octets exceeds the peer's SIZE limit of %d", size, max)}
	}
	return nil
}

// bdat sends the chunk and waits for the storage acknowledgement.
func (sc *ClientConn) bdat(size int64, sealed io.Reader) (*reply, error) {
	if err := sc.write(sc.t.Command, fmt.Sprintf("BDAT %d LAST\r\n", size)); err != nil {
		return nil, fmt.Errorf("send envelope: %w", err)
	}
	w := &timedWriter{sc: sc}
	if n, err := io.CopyN(w, sealed, size); err != nil {
		sc.conn.Close() // the peer expects size octets; the stream cannot recover
		if w.err != nil {
			return nil, fmt.Errorf("send envelope: write chunk after %d of %d octets: %w", n, size, w.err)
		}
		return nil, fmt.Errorf("send envelope: read sealed envelope after %d of %d octets: %w", n, size, err)
	}
	r, err := sc.read250()
	if err != nil {
		return nil, fmt.Errorf("send envelope: BDAT: %w", err)
	}
	return r, nil
}

// read250 waits for the reply to BDAT.
func (sc *ClientConn) read250() (*reply, error) {
	r, err := sc.read(sc.t.Command)
	if err != nil {
		return nil, err
	}
	if r.Code != 250 {
		return nil, r.err()
	}
	return r, nil
}

// abort resets a transaction after a refusal, keeping the session usable.
func (sc *ClientConn) abort() {
	_, _ = sc.cmd(250, sc.t.Command, "RSET") // a failure here shows up on the next command
}

// cmd writes one command line and reads its reply, which must have code
// want; any other code is returned as *Error.
func (sc *ClientConn) cmd(want int, timeout time.Duration, line string) (*reply, error) {
	if err := sc.write(timeout, line+"\r\n"); err != nil {
		return nil, err
	}
	r, err := sc.read(timeout)
	if err != nil {
		return nil, err
	}
	if r.Code != want {
		return nil, r.err()
	}
	return r, nil
}

func (sc *ClientConn) write(timeout time.Duration, s string) error {
	return sc.writeWith(sc.dl.arm, timeout, s)
}

// writeWith writes s after arming a deadline with arm (the read and write
// deadline, or only the write deadline in a pipeline, whose replies are
// read meanwhile).
func (sc *ClientConn) writeWith(arm func(time.Duration) error, timeout time.Duration, s string) error {
	if err := arm(timeout); err != nil {
		return err
	}
	if _, err := io.WriteString(sc.conn, s); err != nil {
		return fmt.Errorf("write %q: %w", strings.TrimSpace(truncate(s)), sc.dl.ioErr(err))
	}
	return nil
}

func (sc *ClientConn) read(timeout time.Duration) (*reply, error) {
	return sc.readWith(sc.dl.arm, timeout)
}

// readWith reads one reply after arming a deadline with arm.
func (sc *ClientConn) readWith(arm func(time.Duration) error, timeout time.Duration) (*reply, error) {
	if err := arm(timeout); err != nil {
		return nil, err
	}
	r, err := readReply(sc.br)
	if err != nil {
		return nil, sc.dl.ioErr(err)
	}
	return r, nil
}

// timedWriter writes chunk octets, each write bounded by the data timeout
// armed with arm (nil: the read and write deadline).
type timedWriter struct {
	sc  *ClientConn
	arm func(time.Duration) error
	err error
}

func (w *timedWriter) Write(p []byte) (int, error) {
	arm := w.arm
	if arm == nil {
		arm = w.sc.dl.arm
	}
	if err := arm(w.sc.t.Data); err != nil {
		w.err = err
		return 0, err
	}
	n, err := w.sc.conn.Write(p)
	if err != nil {
		w.err = w.sc.dl.ioErr(err)
	}
	return n, w.err
}

package peer

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// Timeouts bound every wait on the stream. A zero field takes its default.
type Timeouts struct {
	// Greeting bounds the stream opening: the server waiting for the
	// dialer's space byte, the client waiting for the 220 greeting.
	// Default 10 s.
	Greeting time.Duration
	// Command bounds waiting for one command line (server) or one reply
	// (client), including the reply to BDAT while the receiver stores the
	// envelope. Default 2 min.
	Command time.Duration
	// Data bounds each read or write of chunk bytes that makes no progress;
	// it is reset after every successful read or write. Default 1 min.
	Data time.Duration
}

const (
	defaultGreeting = 10 * time.Second
	defaultCommand  = 2 * time.Minute
	defaultData     = time.Minute
)

// withDefaults fills zero fields.
func (t Timeouts) withDefaults() Timeouts {
	if t.Greeting <= 0 {
		t.Greeting = defaultGreeting
	}
	if t.Command <= 0 {
		t.Command = defaultCommand
	}
	if t.Data <= 0 {
		t.Data = defaultData
	}
	return t
}

// deadlines arms per-operation deadlines on a conn and ties the conn to a
// context: once the context is done every pending and future I/O fails at
// once. The mutex keeps arm from overriding the expiry set on cancellation.
type deadlines struct {
	mu   sync.Mutex
	conn net.Conn
	ctx  context.Context
}

// bind makes ctx govern the conn until the returned stop is called.
func (d *deadlines) bind(ctx context.Context) (stop func()) {
	d.mu.Lock()
	d.ctx = ctx
	d.mu.Unlock()
	release := context.AfterFunc(ctx, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		// An expired deadline unblocks pending I/O; the I/O error is
		// reported by the caller through ioErr.
		_ = d.conn.SetDeadline(time.Unix(1, 0))
	})
	return func() { release() }
}

// arm sets the read and write deadline to now+timeout, capped by the
// context's deadline. It fails only if the context is already done.
func (d *deadlines) arm(timeout time.Duration) error {
	return d.set(timeout, net.Conn.SetDeadline)
}

// armRead sets only the read deadline, for a side whose reads and writes
// run on different goroutines (a pipelined session).
func (d *deadlines) armRead(timeout time.Duration) error {
	return d.set(timeout, net.Conn.SetReadDeadline)
}

// armWrite sets only the write deadline; see armRead.
func (d *deadlines) armWrite(timeout time.Duration) error {
	return d.set(timeout, net.Conn.SetWriteDeadline)
}

func (d *deadlines) set(timeout time.Duration, setter func(net.Conn, time.Time) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.ctx.Err(); err != nil {
		return err
	}
	t := time.Now().Add(timeout)
	if cd, ok := d.ctx.Deadline(); ok && cd.Before(t) {
		t = cd
	}
	// net.Conn implementations refuse a deadline only once the stream is
	// closed (net.Pipe does so when the far end closes); the I/O that
	// follows then reports the real cause, such as io.EOF.
	_ = setter(d.conn, t)
	return nil
}

// ioErr prefers the context's error over the conn's when the context is
// why the I/O failed.
func (d *deadlines) ioErr(err error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cerr := d.ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

// clear removes the deadline before the stream changes hands (a turned
// session), unless the context is already done.
func (d *deadlines) clear() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.ctx.Err(); err != nil {
		return err
	}
	_ = d.conn.SetDeadline(time.Time{}) // fails only on a closed stream; the next I/O says so
	return nil
}

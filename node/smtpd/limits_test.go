package smtpd

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
)

func TestConnectionLimit(t *testing.T) {
	_, address := startServer(t, newFileSubmitter(t), func(o *Options) { o.MaxConnections = 2 })
	first := dialRaw(t, address)
	dialRaw(t, address)
	c, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(b), "421 4.7.0 ") {
		t.Fatalf("third connection got %q, want 421 4.7.0", b)
	}
	// A freed slot is served again, once the server has seen the close.
	first.cmd("QUIT", 221, "")
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", address)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line := make([]byte, 3)
		_, err = io.ReadFull(c, line)
		c.Close()
		if err == nil && string(line) == "220" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection served after one closed: %q %v", line, err)
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	_, address := startServer(t, newFileSubmitter(t), func(o *Options) { o.ReadTimeout = 200 * time.Millisecond })
	r := dialRaw(t, address)
	r.expect(421, "4.4.2")
}

// blockingSubmitter holds each Submit until release is closed or its
// context ends.
type blockingSubmitter struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingSubmitter) Submit(ctx context.Context, _ envelope.Address, _ []envelope.Address, msg io.Reader) error {
	if _, err := io.Copy(io.Discard, msg); err != nil {
		return err
	}
	b.entered <- struct{}{}
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestShutdownWaitsForMessageInTransfer(t *testing.T) {
	sub := &blockingSubmitter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	s, address := startServer(t, sub, nil)
	idle := dialRaw(t, address)
	idle.login()
	c := dialAuthed(t, address)
	shutDownDuringTransfer(t, s, sub, idle, c)
}

// shutDownDuringTransfer shuts s down while c is sending a message that
// sub holds in Submit: idle, an idle connection, gets 421 4.3.2 and is
// closed; Shutdown waits until the message is through, and the message is
// accepted.
func shutDownDuringTransfer(t *testing.T, s *Server, sub *blockingSubmitter, idle *rawConn, c *smtp.Client) {
	t.Helper()
	sent := make(chan error, 1)
	go func() {
		sent <- send(c, local.String(), []string{alice.String()}, message(local.String(), "s", "b\r\n"))
	}()
	testkit.Receive(t, 10*time.Second, "Submit to be called", sub.entered, nil)

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	// The idle connection is ended; the busy one is not.
	idle.expect(421, "4.3.2")
	if line, err := idle.ReadLine(); err == nil {
		t.Fatalf("idle connection still open during shutdown, read %q", line)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a message was being submitted", err)
	case err := <-sent:
		t.Fatalf("message finished (%v) before Submit returned", err)
	default:
	}
	close(sub.release)
	if err := <-sent; err != nil {
		t.Fatalf("message in transfer during shutdown: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestShutdownTimeoutCancelsSubmit(t *testing.T) {
	sub := &blockingSubmitter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	s, address := startServer(t, sub, nil)
	c := dialAuthed(t, address)
	sent := make(chan error, 1)
	go func() {
		sent <- send(c, local.String(), []string{alice.String()}, message(local.String(), "s", "b\r\n"))
	}()
	testkit.Receive(t, 10*time.Second, "Submit to be called", sub.entered, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown returned %v, want deadline exceeded", err)
	}
	if err := <-sent; err == nil {
		t.Fatalf("message acknowledged although Submit was cancelled")
	}
}

// A slow client that keeps sending is not cut off: the read timeout
// applies to each read, not to the whole message.
func TestSlowUploadNotCut(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, func(o *Options) { o.ReadTimeout = 300 * time.Millisecond })
	r := dialRaw(t, address)
	r.login()
	r.cmd("MAIL FROM:<"+local.String()+">", 250, "")
	r.cmd("RCPT TO:<"+alice.String()+">", 250, "")
	r.cmd("DATA", 354, "")
	msg := message(local.String(), "slow", strings.Repeat("a line of the body\r\n", 10))
	step := len(msg)/10 + 1
	for off := 0; off < len(msg); off += step {
		time.Sleep(100 * time.Millisecond) // the client's pace, 1 s in all
		if _, err := r.c.Write(msg[off:min(off+step, len(msg))]); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	r.PrintfLine(".")
	r.expect(250, "")
	if got := waitSubmissions(t, sub, 1)[0].body(t); string(got) != string(msg) {
		t.Fatalf("submitted %q", got)
	}
}

func TestServeAfterClose(t *testing.T) {
	s := New(Options{Local: local, Authenticate: authenticate, Submitter: newFileSubmitter(t)})
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	if err := s.Serve(l); !errors.Is(err, smtp.ErrServerClosed) {
		t.Fatalf("Serve after Close returned %v, want smtp.ErrServerClosed", err)
	}
	// The listener is closed: a node that stops right after it started
	// leaves no port behind.
	if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
		c.Close()
		t.Error("the listener still accepts connections after Serve returned")
	}
}

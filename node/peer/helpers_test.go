package peer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
)

var (
	alice = envelope.Address{0xa1, 0x1c, 0xe0} // the sending node
	bob   = envelope.Address{0xb0, 0xb0}       // the receiving node
	carol = envelope.Address{0xca, 0x20, 0x10} // a third node
)

// quick is the timeout set used by tests: short enough that a hang fails
// fast, long enough for a loaded machine.
var quick = Timeouts{Greeting: 2 * time.Second, Command: 5 * time.Second, Data: 5 * time.Second}

// store is an in-memory Receiver: it reads the whole chunk, de-duplicates by
// content hash and records what it got. fail, when set, decides the result
// after reading.
type store struct {
	mu      sync.Mutex
	got     [][]byte
	seen    map[[32]byte]bool
	readErr []error // errors the chunk reader returned
	fail    func(payload []byte) error
	calls   int
}

func (s *store) Receive(ctx context.Context, peer, rcpt envelope.Address, size int64, r io.Reader) error {
	b, err := io.ReadAll(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if err != nil {
		s.readErr = append(s.readErr, err)
		return fmt.Errorf("read envelope: %w", err)
	}
	if int64(len(b)) != size {
		return fmt.Errorf("got %d octets, announced %d", len(b), size)
	}
	if s.fail != nil {
		if err := s.fail(b); err != nil {
			return err
		}
	}
	h := sha256.Sum256(b)
	if s.seen == nil {
		s.seen = map[[32]byte]bool{}
	}
	if s.seen[h] {
		return fmt.Errorf("store %x: %w", h[:4], ErrDuplicate)
	}
	s.seen[h] = true
	s.got = append(s.got, b)
	return nil
}

func (s *store) stored() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.got...)
}

// transports are the two kinds of stream every scenario runs over.
var transports = []struct {
	name string
	pair func(t *testing.T) (client, server net.Conn)
}{
	{"pipe", func(*testing.T) (net.Conn, net.Conn) { return net.Pipe() }},
	{"tcp", tcpPair},
}

// tcpPair returns both ends of a real TCP connection on 127.0.0.1.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	s, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

// serve runs srv on conn as a session from peer and returns a channel that
// yields ServeConn's result.
func serve(t *testing.T, srv *Server, conn net.Conn, peer envelope.Address) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- srv.ServeConn(context.Background(), conn, peer) }()
	return done
}

// wait returns the value from ch or fails the test after a deadline.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	return testkit.Receive(t, 10*time.Second, what, ch, nil)
}

func newServer(r Receiver) *Server {
	return &Server{Local: bob, Receiver: r, MaxSize: 1 << 20, Timeouts: quick}
}

// raw is a hand-driven client for scripting protocol edge cases.
type raw struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

// openRaw writes the space byte and checks the greeting.
func openRaw(t *testing.T, conn net.Conn) *raw {
	t.Helper()
	r := &raw{t: t, conn: conn, br: bufio.NewReader(conn)}
	r.write(" ")
	r.expect("220 ")
	return r
}

func (r *raw) write(s string) {
	r.t.Helper()
	if err := r.conn.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		r.t.Fatalf("set deadline: %v", err)
	}
	if _, err := io.WriteString(r.conn, s); err != nil {
		r.t.Fatalf("write %q: %v", truncate(s), err)
	}
}

// reply reads one whole reply and returns its last line.
func (r *raw) reply() string {
	r.t.Helper()
	if err := r.conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		r.t.Fatalf("set deadline: %v", err)
	}
	for {
		line, err := r.br.ReadString('\n')
		if err != nil {
			r.t.Fatalf("read reply: %v (partial %q)", err, line)
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n")
		}
	}
}

// expect reads a reply and checks its prefix.
func (r *raw) expect(prefix string) string {
	r.t.Helper()
	got := r.reply()
	if !strings.HasPrefix(got, prefix) {
		r.t.Fatalf("reply %q, want prefix %q", got, prefix)
	}
	return got
}

// cmd sends a command line and checks the reply's prefix.
func (r *raw) cmd(line, prefix string) string {
	r.t.Helper()
	r.write(line + "\r\n")
	return r.expect(prefix)
}

// startTx sends EHLO, MAIL and RCPT for a well-formed transaction.
func (r *raw) startTx(from envelope.Address, size int) {
	r.t.Helper()
	r.cmd("EHLO test", "250 ")
	r.cmd(fmt.Sprintf("MAIL FROM:<%s> SIZE=%d", from, size), "250 2.1.0")
	r.cmd(fmt.Sprintf("RCPT TO:<%s>", bob), "250 2.1.5")
}

// expectClosed checks the server closed the stream.
func (r *raw) expectClosed() {
	r.t.Helper()
	if err := r.conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		r.t.Fatalf("set deadline: %v", err)
	}
	b, err := r.br.ReadByte()
	if err == nil {
		r.t.Fatalf("stream still open, read %q", b)
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		r.t.Fatalf("stream still open: %v", err)
	}
}

func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed // includes CR, LF, '.', NUL
	}
	return b
}

func equalPayloads(t *testing.T, got [][]byte, want ...[]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("stored %d envelopes, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("envelope %d differs: %d octets stored, %d sent", i, len(got[i]), len(want[i]))
		}
	}
}

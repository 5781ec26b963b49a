package peer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/yggpost/yggpost/envelope"
)

// deliver runs one Deliver from alice to rcpt against a server on the
// other end and returns both results.
func deliver(t *testing.T, pair func(*testing.T) (net.Conn, net.Conn), srv *Server, rcpt envelope.Address, body []byte) (clientErr, serverErr error) {
	t.Helper()
	c, s := pair(t)
	done := serve(t, srv, s, alice)
	cl := &Client{Local: alice, Timeouts: quick}
	clientErr = cl.Deliver(context.Background(), c, rcpt, int64(len(body)), bytes.NewReader(body))
	return clientErr, wait(t, done, "ServeConn")
}

func TestDeliverStoresBytesUnchanged(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			st := &store{}
			body := payload(200_000, 3) // several TCP segments, CR LF and dots inside
			cerr, serr := deliver(t, tr.pair, newServer(st), bob, body)
			if cerr != nil || serr != nil {
				t.Fatalf("Deliver: %v, ServeConn: %v", cerr, serr)
			}
			equalPayloads(t, st.stored(), body)
		})
	}
}

func TestDeliverEmptyEnvelope(t *testing.T) {
	st := &store{}
	cerr, serr := deliver(t, tcpPair, newServer(st), bob, nil)
	if cerr != nil || serr != nil {
		t.Fatalf("Deliver: %v, ServeConn: %v", cerr, serr)
	}
	equalPayloads(t, st.stored(), []byte{})
}

func TestDeliverDuplicateIsAcknowledged(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			st := &store{}
			body := payload(1000, 9)
			for i := range 2 {
				if cerr, serr := deliver(t, tr.pair, newServer(st), bob, body); cerr != nil || serr != nil {
					t.Fatalf("attempt %d: Deliver: %v, ServeConn: %v", i, cerr, serr)
				}
			}
			equalPayloads(t, st.stored(), body)
			if st.calls != 2 {
				t.Fatalf("Receive called %d times, want 2", st.calls)
			}
		})
	}
}

func TestDeliverReceiverErrors(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		code     int
		enhanced string
		temp     bool
	}{
		{"temporary", &Error{452, "4.3.1", "mailbox full"}, 452, "4.3.1", true},
		{"permanent", &Error{554, "5.7.0", "bad signature"}, 554, "5.7.0", false},
		{"wrapped", errors.Join(errors.New("ctx"), &Error{550, "5.7.1", "no"}), 550, "5.7.1", false},
		{"plain error", errors.New("disk on fire"), 451, "4.3.0", true},
		{"2xx is not an ack", &Error{250, "2.0.0", "lies"}, 451, "4.3.0", true},
	}
	for _, tr := range transports {
		for _, tc := range cases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				st := &store{fail: func([]byte) error { return tc.err }}
				cerr, serr := deliver(t, tr.pair, newServer(st), bob, payload(100, 1))
				if serr != nil {
					t.Fatalf("ServeConn: %v", serr)
				}
				e, ok := errors.AsType[*Error](cerr)
				if !ok {
					t.Fatalf("Deliver returned %v, want *Error", cerr)
				}
				if e.Code != tc.code || e.Enhanced != tc.enhanced || e.Temporary() != tc.temp {
					t.Fatalf("got %d %s temporary=%v, want %d %s %v", e.Code, e.Enhanced, e.Temporary(), tc.code, tc.enhanced, tc.temp)
				}
				if len(st.stored()) != 0 {
					t.Fatal("refused envelope was stored")
				}
			})
		}
	}
}

func TestDeliverWrongSender(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c, s := tr.pair(t)
			done := serve(t, newServer(&store{}), s, alice) // transport says alice
			cl := &Client{Local: carol, Timeouts: quick}    // but claims carol
			err := cl.Deliver(context.Background(), c, bob, 3, strings.NewReader("abc"))
			e, ok := errors.AsType[*Error](err)
			if !ok || e.Code != 550 || e.Enhanced != "5.7.1" || e.Temporary() {
				t.Fatalf("Deliver: %v, want 550 5.7.1", err)
			}
			if !strings.Contains(e.Message, "does not match") {
				t.Fatalf("message %q does not say the key mismatches", e.Message)
			}
			if err := wait(t, done, "ServeConn"); err != nil {
				t.Fatalf("ServeConn: %v", err)
			}
		})
	}
}

func TestDeliverWrongRecipient(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			st := &store{}
			cerr, serr := deliver(t, tr.pair, newServer(st), carol, payload(10, 0))
			e, ok := errors.AsType[*Error](cerr)
			if !ok || e.Code != 550 || e.Enhanced != "5.1.1" {
				t.Fatalf("Deliver: %v, want 550 5.1.1", cerr)
			}
			if serr != nil || st.calls != 0 {
				t.Fatalf("ServeConn: %v, Receive calls %d", serr, st.calls)
			}
		})
	}
}

func TestDeliverOversizeRefusedBeforeData(t *testing.T) {
	st := &store{}
	srv := newServer(st)
	srv.MaxSize = 100
	cerr, serr := deliver(t, tcpPair, srv, bob, payload(101, 0))
	e, ok := errors.AsType[*Error](cerr)
	if !ok || e.Code != 552 || e.Enhanced != "5.3.4" {
		t.Fatalf("Deliver: %v, want 552 5.3.4", cerr)
	}
	if serr != nil || st.calls != 0 {
		t.Fatalf("ServeConn: %v, Receive calls %d", serr, st.calls)
	}
}

func TestDeliverManyOnOneStream(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			st := &store{}
			c, s := tr.pair(t)
			done := serve(t, newServer(st), s, alice)
			ctx := context.Background()
			sc, err := (&Client{Local: alice, Timeouts: quick}).Open(ctx, c)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			var want [][]byte
			for i := range 20 {
				body := payload(1+i*517, byte(i))
				if err := sc.Send(ctx, bob, int64(len(body)), bytes.NewReader(body)); err != nil {
					t.Fatalf("Send %d: %v", i, err)
				}
				want = append(want, body)
			}
			// A refusal in the middle leaves the session usable.
			if err := sc.Send(ctx, carol, 1, strings.NewReader("x")); err == nil {
				t.Fatal("Send to a foreign recipient succeeded")
			}
			last := payload(77, 200)
			if err := sc.Send(ctx, bob, 77, bytes.NewReader(last)); err != nil {
				t.Fatalf("Send after refusal: %v", err)
			}
			if err := sc.Quit(ctx); err != nil {
				t.Fatalf("Quit: %v", err)
			}
			if err := wait(t, done, "ServeConn"); err != nil {
				t.Fatalf("ServeConn: %v", err)
			}
			equalPayloads(t, st.stored(), append(want, last)...)
		})
	}
}

// gate is a Receiver that reads the chunk, reports it, and returns only
// when released; it records that it returned before the server can reply.
type gate struct {
	got      chan []byte
	release  chan struct{}
	returned atomic.Bool
}

func (g *gate) Receive(ctx context.Context, _, _ envelope.Address, _ int64, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	g.got <- b
	<-g.release
	g.returned.Store(true)
	return nil
}

// replyWatch is the server's end of a connection. It counts the writes the
// server makes after it has read at least chunkEnd bytes (the whole chunk)
// and before g's Receive returned: the acknowledgement must come after.
type replyWatch struct {
	net.Conn
	g        *gate
	chunkEnd int64
	read     atomic.Int64
	early    atomic.Int32
}

func (w *replyWatch) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	w.read.Add(int64(n))
	return n, err
}

func (w *replyWatch) Write(p []byte) (int, error) {
	if w.read.Load() >= w.chunkEnd && !w.g.returned.Load() {
		w.early.Add(1)
	}
	return w.Conn.Write(p)
}

func TestAckOnlyAfterReceiveReturns(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			g := &gate{got: make(chan []byte, 1), release: make(chan struct{})}
			c, s := tr.pair(t)
			body := payload(5000, 5)
			// Before its chunk the client sends well under 5000 bytes of
			// commands, one at a time.
			w := &replyWatch{Conn: s, g: g, chunkEnd: int64(len(body))}
			done := serve(t, newServer(g), w, alice)
			delivered := make(chan error, 1)
			go func() {
				delivered <- Deliver(context.Background(), c, alice, bob, int64(len(body)), bytes.NewReader(body))
			}()
			if got := wait(t, g.got, "Receive to read the chunk"); !bytes.Equal(got, body) {
				t.Fatal("receiver got different bytes")
			}
			select {
			case err := <-delivered:
				t.Fatalf("Deliver returned %v while Receive was still storing", err)
			default:
			}
			close(g.release)
			if err := wait(t, delivered, "Deliver"); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if n := w.early.Load(); n > 0 {
				t.Fatalf("the server wrote %d replies after the chunk while Receive was still storing", n)
			}
			if !g.returned.Load() {
				t.Fatal("Deliver succeeded before Receive returned")
			}
			if err := wait(t, done, "ServeConn"); err != nil {
				t.Fatalf("ServeConn: %v", err)
			}
		})
	}
}

package peer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// rawSession starts a server on a fresh TCP connection and returns a raw,
// greeted client for it plus ServeConn's result channel.
func rawSession(t *testing.T, srv *Server) (*raw, <-chan error) {
	t.Helper()
	c, s := tcpPair(t)
	done := serve(t, srv, s, alice)
	return openRaw(t, c), done
}

func TestServerEHLOAdvertisesExtension(t *testing.T) {
	r, _ := rawSession(t, newServer(&store{}))
	r.write("ehlo client\r\n")
	var lines []string
	for {
		l, err := r.br.ReadString('\n')
		if err != nil {
			t.Fatalf("read EHLO reply: %v", err)
		}
		lines = append(lines, strings.TrimRight(l, "\r\n"))
		if l[3] == ' ' {
			break
		}
	}
	for _, want := range []string{"250-CHUNKING", "250-SIZE 1048576", "250 YGGPOST 1", "250-ENHANCEDSTATUSCODES"} {
		if !contains(lines, want) {
			t.Errorf("EHLO reply %q lacks %q", lines, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func TestServerDuplicateReplySaysSo(t *testing.T) {
	st := &store{}
	r, _ := rawSession(t, newServer(st))
	for _, want := range []string{"250 2.0.0 envelope stored", "250 2.0.0 duplicate"} {
		r.startTx(alice, 5)
		r.write("BDAT 5 LAST\r\nhello")
		r.expect(want)
	}
	equalPayloads(t, st.stored(), []byte("hello"))
}

func TestServerCommandsCaseInsensitive(t *testing.T) {
	st := &store{}
	r, _ := rawSession(t, newServer(st))
	r.cmd("eHlO x", "250 ")
	r.cmd("mail from:<"+strings.ToUpper(alice.String())+"> size=3", "250 2.1.0")
	r.cmd("rcpt to: <"+bob.String()+">", "250 2.1.5")
	r.write("bdat 3 last\r\nabc")
	r.expect("250 2.0.0")
	r.cmd("noop", "250 2.0.0")
	r.cmd("QUIT", "221 2.0.0")
	r.expectClosed()
	equalPayloads(t, st.stored(), []byte("abc"))
}

func TestServerRefusals(t *testing.T) {
	mail := fmt.Sprintf("MAIL FROM:<%s>", alice)
	rcpt := fmt.Sprintf("RCPT TO:<%s>", bob)
	cases := []struct {
		name   string
		script []string // commands before the one under test, all expected to succeed
		cmd    string
		want   string
	}{
		{"MAIL before EHLO", nil, mail, "503 5.5.1"},
		{"RCPT before MAIL", []string{"EHLO x"}, rcpt, "503 5.5.1"},
		{"nested MAIL", []string{"EHLO x", mail}, mail, "503 5.5.1"},
		{"sender is not the peer", []string{"EHLO x"}, fmt.Sprintf("MAIL FROM:<%s>", carol), "550 5.7.1 sender key does not match"},
		{"null sender", []string{"EHLO x"}, "MAIL FROM:<>", "501 5.1.7"},
		{"short key", []string{"EHLO x"}, "MAIL FROM:<abcd@yggmail>", "501 5.1.7"},
		{"MAIL syntax", []string{"EHLO x"}, "MAIL " + alice.String(), "501 5.5.4"},
		{"unknown MAIL parameter", []string{"EHLO x"}, mail + " BODY=BINARYMIME", "555 5.5.4"},
		{"SIZE twice", []string{"EHLO x"}, mail + " SIZE=1 SIZE=1", "555 5.5.4"},
		{"SIZE not a number", []string{"EHLO x"}, mail + " SIZE=-1", "501 5.5.4"},
		{"SIZE over limit", []string{"EHLO x"}, mail + " SIZE=1048577", "552 5.3.4"},
		{"foreign recipient", []string{"EHLO x", mail}, fmt.Sprintf("RCPT TO:<%s>", carol), "550 5.1.1"},
		{"second recipient", []string{"EHLO x", mail, rcpt}, rcpt, "452 4.5.3"},
		{"RCPT parameter", []string{"EHLO x", mail}, rcpt + " NOTIFY=NEVER", "555 5.5.4"},
		{"bad recipient", []string{"EHLO x", mail}, "RCPT TO:<bob@example.org>", "501 5.1.3"},
		{"DATA", []string{"EHLO x", mail, rcpt}, "DATA", "502 5.5.1"},
		{"unknown verb", nil, "VRFY bob", "500 5.5.1"},
		{"empty line", nil, "", "500 5.5.1"},
		{"EHLO without domain", nil, "EHLO", "501 5.5.4"},
		{"line too long", nil, "NOOP " + strings.Repeat("x", 1200), "500 5.5.2"},
		{"very long line", nil, "NOOP " + strings.Repeat("x", 20000), "500 5.5.2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := &store{}
			r, _ := rawSession(t, newServer(st))
			for _, c := range tc.script {
				r.cmd(c, "250 ")
			}
			r.cmd(tc.cmd, tc.want)
			r.cmd("NOOP", "250 2.0.0") // the session is still in sync
			if st.calls != 0 {
				t.Fatal("Receive was called")
			}
		})
	}
}

func TestServerBareLF(t *testing.T) {
	r, _ := rawSession(t, newServer(&store{}))
	r.write("NOOP\n")
	r.expect("500 5.5.2")
	r.cmd("NOOP", "250 ")
}

// A refused BDAT chunk is still consumed: the next command parses.
func TestServerRefusedChunkKeepsFraming(t *testing.T) {
	cases := []struct {
		name  string
		setup func(r *raw)
		bdat  string
		want  string
	}{
		{"no transaction", func(r *raw) { r.cmd("EHLO x", "250 ") }, "BDAT 10 LAST", "503 5.5.1"},
		{"after HELO", func(r *raw) { r.cmd("HELO x", "250 ") }, "BDAT 10 LAST", "503 5.5.1"},
		{"not LAST", func(r *raw) { r.startTx(alice, 10) }, "BDAT 10", "504 5.5.4"},
		{"size differs from SIZE", func(r *raw) { r.startTx(alice, 9) }, "BDAT 10 LAST", "501 5.5.4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := &store{}
			r, _ := rawSession(t, newServer(st))
			tc.setup(r)
			// The chunk looks like commands; it must not be parsed as such.
			r.write(tc.bdat + "\r\nQUIT\r\nXXXX") // 10 octets
			r.expect(tc.want)
			r.cmd("NOOP", "250 2.0.0")
			if st.calls != 0 {
				t.Fatal("Receive was called")
			}
		})
	}
}

func TestServerOversizeChunkClosesStream(t *testing.T) {
	st := &store{}
	srv := newServer(st)
	srv.MaxSize = 10
	r, done := rawSession(t, srv)
	r.cmd("EHLO x", "250 ")
	r.cmd(fmt.Sprintf("MAIL FROM:<%s>", alice), "250 ")
	r.cmd(fmt.Sprintf("RCPT TO:<%s>", bob), "250 ")
	r.write("BDAT 11 LAST\r\n")
	r.expect("552 5.3.4")
	r.expectClosed()
	if err := wait(t, done, "ServeConn"); err == nil {
		t.Fatal("ServeConn returned nil after closing on an oversize chunk")
	}
	if st.calls != 0 {
		t.Fatal("Receive was called")
	}
}

func TestServerUnparsableBDATClosesStream(t *testing.T) {
	for _, arg := range []string{"BDAT", "BDAT x LAST", "BDAT 1 LAST MORE", "BDAT 99999999999999999999 LAST", "BDAT -1 LAST", "BDAT 1 FIRST"} {
		t.Run(arg, func(t *testing.T) {
			r, done := rawSession(t, newServer(&store{}))
			r.cmd("EHLO x", "250 ")
			r.cmd(arg, "501 5.5.4")
			r.expectClosed()
			if err := wait(t, done, "ServeConn"); err == nil {
				t.Fatal("ServeConn returned nil")
			}
		})
	}
}

func TestServerTooManyErrors(t *testing.T) {
	r, done := rawSession(t, newServer(&store{}))
	for range maxErrors - 1 {
		r.cmd("\x00\xff garbage", "500 5.5.1")
	}
	r.cmd("more garbage", "500 5.5.1")
	r.expect("421 4.7.0")
	r.expectClosed()
	if err := wait(t, done, "ServeConn"); err == nil {
		t.Fatal("ServeConn returned nil")
	}
}

// chunkSizes are a chunk stored beside the session (read whole first) and
// one streamed into the Receiver; calls is how many Receive calls a cut
// chunk of that size makes: none for the first, one short read for the
// second.
var chunkSizes = []struct {
	name  string
	n     int
	calls int
}{{"aside", 100, 0}, {"streamed", storeAsideMax + 100, 1}}

func TestServerPeerClosesMidChunk(t *testing.T) {
	for _, tr := range transports {
		for _, size := range chunkSizes {
			t.Run(tr.name+"/"+size.name, func(t *testing.T) {
				st := &store{}
				c, s := tr.pair(t)
				done := serve(t, newServer(st), s, alice)
				r := openRaw(t, c)
				r.startTx(alice, size.n)
				r.write(fmt.Sprintf("BDAT %d LAST\r\n", size.n) + strings.Repeat("z", size.n/2))
				c.Close()
				if err := wait(t, done, "ServeConn"); err == nil {
					t.Fatal("ServeConn reported success for a cut chunk")
				}
				st.mu.Lock()
				defer st.mu.Unlock()
				if len(st.got) != 0 || len(st.readErr) != size.calls {
					t.Fatalf("stored %d, read errors %v; want nothing stored and %d short reads", len(st.got), st.readErr, size.calls)
				}
				for _, err := range st.readErr {
					if !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Fatalf("read error %v, want a short read", err)
					}
				}
			})
		}
	}
}

func TestServerPeerStallsMidChunk(t *testing.T) {
	for _, size := range chunkSizes {
		t.Run(size.name, func(t *testing.T) {
			st := &store{}
			srv := newServer(st)
			srv.Timeouts.Data = 200 * time.Millisecond
			r, done := rawSession(t, srv)
			r.startTx(alice, size.n)
			r.write(fmt.Sprintf("BDAT %d LAST\r\n", size.n) + strings.Repeat("z", size.n/2))
			err := wait(t, done, "ServeConn")
			if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
				t.Fatalf("ServeConn: %v, want a timeout", err)
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			if len(st.got) != 0 || len(st.readErr) != size.calls {
				t.Fatalf("stored %d, read errors %v", len(st.got), st.readErr)
			}
		})
	}
}

// skimmer decides from the first octets and returns without reading the
// rest, as a store that recognises a duplicate by its id would.
type skimmer struct{ calls int }

func (k *skimmer) Receive(_ context.Context, _, _ envelope.Address, _ int64, r io.Reader) error {
	k.calls++
	if _, err := io.ReadFull(r, make([]byte, 2)); err != nil {
		return err
	}
	return ErrDuplicate
}

func TestServerDrainsWhatReceiverLeaves(t *testing.T) {
	k := &skimmer{}
	r, _ := rawSession(t, newServer(k))
	for range 3 {
		r.startTx(alice, 20)
		r.write("BDAT 20 LAST\r\nQUIT\r\nNOOP\r\nRSET\r\n  ")
		r.expect("250 2.0.0 duplicate")
	}
	r.cmd("NOOP", "250 2.0.0")
	if k.calls != 3 {
		t.Fatalf("Receive called %d times", k.calls)
	}
}

func TestServerOpeningByte(t *testing.T) {
	c, s := tcpPair(t)
	done := serve(t, newServer(&store{}), s, alice)
	r := &raw{t: t, conn: c, br: bufio.NewReader(c)}
	r.write("EHLO x\r\n")
	r.expect("554 ")
	r.expectClosed()
	if err := wait(t, done, "ServeConn"); err == nil {
		t.Fatal("ServeConn returned nil")
	}
}

func TestServerTimeouts(t *testing.T) {
	t.Run("no opening byte", func(t *testing.T) {
		srv := newServer(&store{})
		srv.Timeouts.Greeting = 100 * time.Millisecond
		_, s := tcpPair(t)
		err := wait(t, serve(t, srv, s, alice), "ServeConn")
		if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
			t.Fatalf("ServeConn: %v, want a timeout", err)
		}
	})
	t.Run("idle between commands", func(t *testing.T) {
		srv := newServer(&store{})
		srv.Timeouts.Command = 100 * time.Millisecond
		r, done := rawSession(t, srv)
		r.expect("421 4.4.2")
		if err := wait(t, done, "ServeConn"); err == nil {
			t.Fatal("ServeConn returned nil")
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		c, s := net.Pipe()
		defer c.Close()
		done := make(chan error, 1)
		go func() { done <- newServer(&store{}).ServeConn(ctx, s, alice) }()
		cancel()
		if err := wait(t, done, "ServeConn"); !errors.Is(err, context.Canceled) {
			t.Fatalf("ServeConn: %v, want context.Canceled", err)
		}
	})
}

func TestServerNeedsReceiver(t *testing.T) {
	_, s := net.Pipe()
	if err := (&Server{Local: bob}).ServeConn(context.Background(), s, alice); err == nil {
		t.Fatal("ServeConn without a Receiver returned nil")
	}
}

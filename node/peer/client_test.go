package peer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/yggpost/yggpost/envelope"
)

// script plays a fake server: it consumes the opening byte, then for each
// step writes the reply and reads one line (when read is set).
func script(t *testing.T, conn net.Conn, replies ...string) <-chan string {
	t.Helper()
	seen := make(chan string, 64)
	go func() {
		defer close(seen)
		br := bufio.NewReader(conn)
		if b, err := br.ReadByte(); err != nil || b != ' ' {
			return
		}
		for _, rep := range replies {
			if _, err := io.WriteString(conn, rep); err != nil {
				return
			}
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			seen <- strings.TrimRight(line, "\r\n")
		}
	}()
	return seen
}

func TestClientPeerNeverGreets(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			c, s := tr.pair(t)
			go io.Copy(io.Discard, s) // takes the space byte, never answers
			cl := &Client{Local: alice, Timeouts: Timeouts{Greeting: 150 * time.Millisecond}}
			start := time.Now()
			err := cl.Deliver(context.Background(), c, bob, 1, strings.NewReader("x"))
			if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
				t.Fatalf("Deliver: %v, want a timeout", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("Deliver took %v", d)
			}
		})
	}
}

func TestClientContextCancelled(t *testing.T) {
	c, s := net.Pipe()
	defer s.Close()
	go io.Copy(io.Discard, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Deliver(ctx, c, alice, bob, 1, strings.NewReader("x")) }()
	cancel()
	if err := wait(t, done, "Deliver"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Deliver: %v, want context.Canceled", err)
	}
}

func TestClientGreetingRefused(t *testing.T) {
	c, s := net.Pipe()
	defer s.Close()
	script(t, s, "554 5.3.2 not now\r\n")
	err := Deliver(context.Background(), c, alice, bob, 1, strings.NewReader("x"))
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != 554 || e.Enhanced != "5.3.2" || e.Message != "not now" {
		t.Fatalf("Deliver: %v, want 554 5.3.2", err)
	}
}

func TestClientHELOFallbackHasNoExtension(t *testing.T) {
	c, s := net.Pipe()
	defer s.Close()
	seen := script(t, s, "220 hi\r\n", "500 5.5.1 what\r\n", "250 ok\r\n", "221 bye\r\n")
	err := Deliver(context.Background(), c, alice, bob, 1, strings.NewReader("x"))
	if !errors.Is(err, ErrNoExtension) {
		t.Fatalf("Deliver: %v, want ErrNoExtension", err)
	}
	var cmds []string
	for l := range seen {
		cmds = append(cmds, strings.Fields(l)[0])
	}
	if strings.Join(cmds, " ") != "EHLO HELO QUIT" {
		t.Fatalf("client sent %v", cmds)
	}
}

// plainSMTP is a go-smtp session that accepts everything, standing in for a
// node that speaks only classic SMTP.
type plainSMTP struct{}

func (plainSMTP) Reset()                                      {}
func (plainSMTP) Logout() error                               { return nil }
func (plainSMTP) Mail(string, *smtp.MailOptions) error        { return nil }
func (plainSMTP) Rcpt(string, *smtp.RcptOptions) error        { return nil }
func (plainSMTP) Data(r io.Reader) error                      { _, err := io.Copy(io.Discard, r); return err }
func (plainSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return plainSMTP{}, nil }

// spaceListener hands out connections after eating the opening space byte,
// as a classic listener on the mesh does.
type spaceListener struct{ net.Listener }

func (l spaceListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func TestClientAgainstPlainSMTPServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(plainSMTP{})
	srv.Domain = "plain"
	go srv.Serve(spaceListener{ln})
	t.Cleanup(func() { srv.Close() })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := (&Client{Local: alice, Timeouts: quick}).Open(context.Background(), c)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, ok := sc.Extension("CHUNKING"); !ok || sc.Yggpost() {
		t.Fatalf("extensions: CHUNKING %v, YGGPOST %v", ok, sc.Yggpost())
	}
	if err := sc.Send(context.Background(), bob, 1, strings.NewReader("x")); !errors.Is(err, ErrNoExtension) {
		t.Fatalf("Send: %v, want ErrNoExtension", err)
	}
	if err := sc.Quit(context.Background()); err != nil {
		t.Fatalf("Quit: %v", err)
	}
}

func TestClientShortSealedReader(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			st := &store{}
			c, s := tr.pair(t)
			done := serve(t, newServer(st), s, alice)
			err := Deliver(context.Background(), c, alice, bob, 100, bytes.NewReader(payload(40, 0)))
			if err == nil || isReply(err) {
				t.Fatalf("Deliver: %v, want a local failure", err)
			}
			if serr := wait(t, done, "ServeConn"); serr == nil {
				t.Fatal("ServeConn succeeded on a cut chunk")
			}
			if len(st.stored()) != 0 {
				t.Fatal("a cut envelope was stored")
			}
		})
	}
}

// stuck is a Receiver that never finishes storing until ctx ends.
type stuck struct{}

func (stuck) Receive(ctx context.Context, _, _ envelope.Address, _ int64, r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	<-ctx.Done()
	return ctx.Err()
}

func TestClientNoAckIsNotSuccess(t *testing.T) {
	c, s := tcpPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- newServer(stuck{}).ServeConn(ctx, s, alice) }()
	cl := &Client{Local: alice, Timeouts: Timeouts{Command: 300 * time.Millisecond}}
	err := cl.Deliver(context.Background(), c, bob, 3, strings.NewReader("abc"))
	if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
		t.Fatalf("Deliver: %v, want a timeout", err)
	}
	cancel()
	wait(t, done, "ServeConn")
}

func TestClientRefusesOverPeerLimit(t *testing.T) {
	c, s := net.Pipe()
	defer s.Close()
	seen := script(t, s, "220 hi\r\n", "250-x\r\n250-SIZE 10\r\n250-CHUNKING\r\n250 YGGPOST 1\r\n", "221 bye\r\n")
	err := Deliver(context.Background(), c, alice, bob, 11, bytes.NewReader(payload(11, 0)))
	if e, ok := errors.AsType[*Error](err); !ok || e.Code != 552 {
		t.Fatalf("Deliver: %v, want 552", err)
	}
	for l := range seen {
		if strings.HasPrefix(l, "MAIL") || strings.HasPrefix(l, "BDAT") {
			t.Fatalf("client sent %q for an envelope over the peer's limit", l)
		}
	}
}

func TestClientNewerVersionList(t *testing.T) {
	c, s := net.Pipe()
	defer s.Close()
	script(t, s, "220 hi\r\n", "250-x\r\n250-CHUNKING\r\n250 YGGPOST 1 2\r\n")
	sc, err := (&Client{Local: alice, Timeouts: quick}).Open(context.Background(), c)
	if err != nil || !sc.Yggpost() {
		t.Fatalf("Open: %v, Yggpost %v", err, err == nil && sc.Yggpost())
	}
}

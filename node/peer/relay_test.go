package peer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// TestHandOverOnTurnedSession is the whole relay path on one pipe per
// session: a depositor leaves three envelopes for the member, each with a
// custody receipt; the member connects, turns the session around, serves
// it, and receives all three through its own Receiver; the relay deletes
// each only after the member's 250.
func TestHandOverOnTurnedSession(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { testHandOver(t, tr.pair) })
	}
}

func testHandOver(t *testing.T, pair func(*testing.T) (net.Conn, net.Conn)) {
	rl, member := newKeyed(t, 1), newKeyed(t, 2)
	svc := newMemRelay(rl.addr, member.addr)
	srv := relayServer(rl.addr, svc)
	ctx := context.Background()

	dep, depDone := openClientOn(t, pair, srv, carol)
	var sent [][]byte
	for i := range 3 {
		b := payload(1000+i*777, byte(i))
		receipt, err := dep.Deposit(ctx, member.addr, int64(len(b)), bytes.NewReader(b))
		if err != nil {
			t.Fatalf("deposit %d: %v", i, err)
		}
		if !bytes.Equal(receipt, receiptOf(b)) {
			t.Fatalf("deposit %d: receipt %q, want the relay's %q", i, receipt, receiptOf(b))
		}
		sent = append(sent, b)
	}
	if err := dep.Quit(ctx); err != nil {
		t.Fatalf("quit depositor: %v", err)
	}
	if err := wait(t, depDone, "depositor session"); err != nil {
		t.Fatalf("depositor session: %v", err)
	}

	sc, relayDone := openClientOn(t, pair, srv, member.addr)
	if !sc.Relay() {
		t.Fatal("relay does not advertise YGGPOST-RELAY 1")
	}
	conn, err := sc.TurnAround(ctx, member.key)
	if err != nil {
		t.Fatalf("turn around: %v", err)
	}
	inbox := &store{}
	memberSrv := &Server{Local: member.addr, Receiver: inbox, Timeouts: quick}
	if err := memberSrv.ServeConn(ctx, conn, rl.addr); err != nil {
		t.Fatalf("member serving the turned session: %v", err)
	}
	if err := wait(t, relayDone, "relay session"); err != nil {
		t.Fatalf("relay session: %v", err)
	}
	equalPayloads(t, inbox.stored(), sent...)
	if n := svc.heldFor(member.addr); n != 0 {
		t.Fatalf("relay still holds %d envelopes after the hand-over", n)
	}
}

// TestTurnAroundBufferedBytes checks that bytes the relay sends right after
// its 250 (already in the client's buffer) reach the member's server.
func TestTurnAroundBufferedBytes(t *testing.T) {
	rl, member := newKeyed(t, 1), newKeyed(t, 2)
	c, s := net.Pipe()
	defer c.Close()
	defer s.Close()
	go func() {
		r := openRawServer(s, rl.addr)
		r.atrn()
		_, _ = r.br.ReadString('\n') // the signature; this test is about framing
		// The 250 and the opening space octet of the turned session in one write.
		_, _ = s.Write([]byte("250 2.0.0 turning the session around\r\n "))
	}()
	sc, err := (&Client{Local: member.addr, Timeouts: quick}).Open(context.Background(), c)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	conn, err := sc.TurnAround(context.Background(), member.key)
	if err != nil {
		t.Fatalf("turn around: %v", err)
	}
	b := make([]byte, 1)
	if _, err := conn.Read(b); err != nil || b[0] != ' ' {
		t.Fatalf("turned conn read %q, %v; want the buffered space octet", b, err)
	}
}

// rawServer scripts the relay's side for client tests.
type rawServer struct{ *raw }

// openRawServer reads the space octet, greets and answers EHLO as a relay.
func openRawServer(conn net.Conn, self envelope.Address) rawServer {
	r := rawServer{&raw{conn: conn, br: bufio.NewReader(conn)}}
	_, _ = r.br.ReadByte()
	_, _ = fmt.Fprintf(conn, "220 %s ready\r\n", self)
	_, _ = r.br.ReadString('\n')
	_, _ = fmt.Fprintf(conn, "250-%s greets you\r\n250-CHUNKING\r\n250-YGGPOST 1\r\n250 YGGPOST-RELAY 1\r\n", self)
	return r
}

// atrn reads the ATRN line and sends a challenge of zeros.
func (r rawServer) atrn() []byte {
	_, _ = r.br.ReadString('\n')
	challenge := make([]byte, ChallengeSize)
	_, _ = fmt.Fprintf(r.conn, "334 %s\r\n", base64.StdEncoding.EncodeToString(challenge))
	return challenge
}

func TestATRNRefusals(t *testing.T) {
	rl, member, other := newKeyed(t, 1), newKeyed(t, 2), newKeyed(t, 3)
	svc := newMemRelay(rl.addr, member.addr)
	c, s := tcpPair(t)
	done := serve(t, relayServer(rl.addr, svc), s, member.addr)
	r := openRaw(t, c)
	r.cmd("ATRN", "503 5.5.1") // before EHLO
	r.cmd("EHLO x", "250 ")
	r.cmd("ATRN now", "555 5.5.4")
	answers := map[string]func(challenge []byte) string{
		"not base64":     func([]byte) string { return "!!!" },
		"short":          func([]byte) string { return base64.StdEncoding.EncodeToString([]byte("short")) },
		"zeros":          func([]byte) string { return base64.StdEncoding.EncodeToString(make([]byte, 64)) },
		"other key":      func(c []byte) string { return sign(other.key, rl.addr, member.addr, c) },
		"other relay":    func(c []byte) string { return sign(member.key, other.addr, member.addr, c) },
		"old challenge":  func([]byte) string { return sign(member.key, rl.addr, member.addr, make([]byte, 32)) },
		"member swapped": func(c []byte) string { return sign(member.key, member.addr, rl.addr, c) },
	}
	for name, answer := range answers {
		challenge := r.challenge()
		if got := r.cmd(answer(challenge), "535 5.7.8"); got == "" {
			t.Fatalf("%s: no reply", name)
		}
		r.cmd("NOOP", "250 2.0.0") // the session goes on
	}
	r.challenge()
	r.cmd("*", "501 5.7.0")
	r.cmd("QUIT", "221 ")
	if err := wait(t, done, "session"); err != nil {
		t.Fatalf("session: %v", err)
	}
	if svc.handOvers != 0 {
		t.Fatalf("%d hand-overs after refused signatures", svc.handOvers)
	}
}

// challenge sends ATRN and returns the decoded challenge of the 334 reply.
func (r *raw) challenge() []byte {
	r.t.Helper()
	line := r.cmd("ATRN", "334 ")
	c, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, "334 "))
	if err != nil || len(c) != ChallengeSize {
		r.t.Fatalf("challenge %q: %v", line, err)
	}
	return c
}

func sign(key ed25519.PrivateKey, relay, member envelope.Address, challenge []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(key, HandOverMessage(relay, member, challenge)))
}

func TestChallengesDiffer(t *testing.T) {
	rl, member := newKeyed(t, 1), newKeyed(t, 2)
	r, _ := rawSession(t, relayServer(rl.addr, newMemRelay(rl.addr, member.addr)))
	r.cmd("EHLO x", "250 ")
	a := r.challenge()
	r.cmd("*", "501 ")
	b := r.challenge()
	if bytes.Equal(a, b) {
		t.Fatalf("two ATRN challenges are equal: %x", a)
	}
}

func TestRelayCommandsOnNonRelay(t *testing.T) {
	r, _ := rawSession(t, newServer(&store{}))
	r.cmd("EHLO x", "250 ")
	for _, cmd := range []string{"ATRN", "REGISTER AAAA", "RECORD AAAA", "DROP " + strings.Repeat("0", 32)} {
		r.cmd(cmd, "502 5.5.1")
	}
	r.cmd("NOOP", "250 ")
}

func TestEHLOAdvertisesRelayOnlyOnRelays(t *testing.T) {
	sc, _ := openClient(t, newServer(&store{}), alice)
	if sc.Relay() {
		t.Fatal("a plain node advertises YGGPOST-RELAY")
	}
	rl := newKeyed(t, 1)
	sc, _ = openClient(t, relayServer(rl.addr, newMemRelay(rl.addr)), alice)
	if !sc.Relay() || sc.Remote() != rl.addr {
		t.Fatalf("relay: Relay()=%v Remote()=%s, want true and %s", sc.Relay(), sc.Remote(), rl.addr)
	}
	ctx := context.Background()
	if _, err := sc.TurnAround(ctx, newKeyed(t, 9).key); err == nil {
		t.Fatal("TurnAround with a key that is not the client's own succeeded")
	}
	if err := sc.Noop(ctx); err != nil {
		t.Fatalf("noop: %v", err)
	}
}

func TestTurnAroundRefusedNotARelay(t *testing.T) {
	member := newKeyed(t, 2)
	sc, _ := openClient(t, newServer(&store{}), member.addr)
	_, err := sc.TurnAround(context.Background(), member.key)
	if !errors.Is(err, ErrNotRelay) {
		t.Fatalf("TurnAround on a plain node: %v, want ErrNotRelay", err)
	}
}

// TestHandOverCancelled checks that cancelling the relay's context ends a
// hand-over whose member never answers, before any timeout would.
func TestHandOverCancelled(t *testing.T) {
	rl, member := newKeyed(t, 1), newKeyed(t, 2)
	srv := relayServer(rl.addr, newMemRelay(rl.addr, member.addr))
	srv.Timeouts = Timeouts{Greeting: time.Minute, Command: time.Minute, Data: time.Minute}
	c, s := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeConn(ctx, s, member.addr) }()
	sc, err := (&Client{Local: member.addr, Timeouts: quick}).Open(context.Background(), c)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	conn, err := sc.TurnAround(context.Background(), member.key)
	if err != nil {
		t.Fatalf("turn around: %v", err)
	}
	defer conn.Close()
	b := make([]byte, 1)
	if _, err := io.ReadFull(conn, b); err != nil || b[0] != ' ' {
		t.Fatalf("turned session opened with %q, %v; want the space octet", b, err)
	}
	cancel() // the member never greets
	if err := wait(t, done, "relay session after cancel"); !errors.Is(err, context.Canceled) {
		t.Fatalf("relay session ended with %v, want context.Canceled", err)
	}
}

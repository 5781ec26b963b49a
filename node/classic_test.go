package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/nodetest"
	"github.com/yggpost/yggpost/node/transport"
)

// yggmailNode behaves like an original Yggmail node, written for these
// tests from its observable behaviour: QUIC streams over an embedded
// Yggdrasil node (yggquic); the dialer writes one space byte, then plain
// SMTP follows with the listener greeting first; no AUTH, no extension of
// ours; MAIL FROM is accepted only when its key is the transport peer's
// key, RCPT only for the node's own address; messages come with DATA.
type yggmailNode struct {
	t    *testing.T
	key  ed25519.PrivateKey
	addr envelope.Address
	mesh *transport.Mesh
	srv  *smtp.Server
	ln   *streamListener
	once sync.Once

	mu       sync.Mutex
	received [][]byte
}

func newYggmailNode(t *testing.T, key ed25519.PrivateKey, peers ...string) *yggmailNode {
	t.Helper()
	if key == nil {
		_, key, _ = ed25519.GenerateKey(rand.Reader)
	}
	addr, _ := envelope.AddressFromKey(key.Public().(ed25519.PublicKey))
	mesh, err := transport.New(transport.Config{PrivateKey: key, Peers: peers})
	if err != nil {
		t.Fatalf("yggmail node mesh: %v", err)
	}
	y := &yggmailNode{t: t, key: key, addr: addr, mesh: mesh, ln: newStreamListener()}
	y.srv = smtp.NewServer(y)
	y.srv.Domain = addr.Hex()
	y.srv.AllowInsecureAuth = true
	go y.acceptStreams()
	go y.srv.Serve(y.ln)
	t.Cleanup(y.stop)
	return y
}

func (y *yggmailNode) stop() {
	y.once.Do(func() {
		y.srv.Close()
		y.mesh.Close()
	})
}

// acceptStreams reads the opening space byte of each stream and hands the
// rest to the SMTP server, remembering the authenticated peer key.
func (y *yggmailNode) acceptStreams() {
	for {
		conn, key, err := y.mesh.Accept()
		if err != nil {
			return
		}
		go func() {
			one := make([]byte, 1)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(conn, one); err != nil || one[0] != ' ' {
				conn.Close()
				return
			}
			conn.SetReadDeadline(time.Time{})
			y.ln.push(&peerConn{Conn: conn, peer: key})
		}()
	}
}

// NewSession implements smtp.Backend.
func (y *yggmailNode) NewSession(c *smtp.Conn) (smtp.Session, error) {
	pc, ok := c.Conn().(*peerConn)
	if !ok {
		return nil, errors.New("not a mesh stream")
	}
	return &yggmailSession{y: y, peer: pc.peer}, nil
}

type yggmailSession struct {
	y    *yggmailNode
	peer ed25519.PublicKey
}

func (s *yggmailSession) Reset()        {}
func (s *yggmailSession) Logout() error { return nil }
func (s *yggmailSession) Mail(from string, _ *smtp.MailOptions) error {
	a, err := envelope.ParseAddress(from)
	if err != nil || !ed25519.PublicKey(a[:]).Equal(s.peer) {
		return &smtp.SMTPError{Code: 550, Message: "sender must be the transport peer"}
	}
	return nil
}
func (s *yggmailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	a, err := envelope.ParseAddress(to)
	if err != nil || a != s.y.addr {
		return &smtp.SMTPError{Code: 550, Message: "not my address"}
	}
	return nil
}
func (s *yggmailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.y.mu.Lock()
	s.y.received = append(s.y.received, b)
	s.y.mu.Unlock()
	return nil
}

// waitReceived waits until the node holds n messages and returns them.
func (y *yggmailNode) waitReceived(n int, within time.Duration) [][]byte {
	y.t.Helper()
	var got [][]byte
	if !testkit.Poll(within, func() bool {
		y.mu.Lock()
		got = append([][]byte(nil), y.received...)
		y.mu.Unlock()
		return len(got) >= n
	}) {
		y.t.Fatalf("yggmail node received %d messages, want %d within %s", len(got), n, within)
	}
	return got
}

// send delivers a message the way a Yggmail node does.
func (y *yggmailNode) send(to envelope.Address, msg []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := y.mesh.Dial(ctx, to.Key())
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(" ")); err != nil {
		return err
	}
	c := smtp.NewClient(conn)
	if err := c.Hello(y.addr.Hex()); err != nil {
		return err
	}
	if err := c.SendMail(y.addr.String(), []string{to.String()}, bytes.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

// peerConn is a mesh stream with the key the transport authenticated.
type peerConn struct {
	net.Conn
	peer ed25519.PublicKey
}

// streamListener hands accepted streams to smtp.Server.Serve.
type streamListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newStreamListener() *streamListener {
	return &streamListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *streamListener) push(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *streamListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *streamListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *streamListener) Addr() net.Addr { return &net.TCPAddr{} }

// TestClassicYggmailInbound: an original Yggmail node delivers to a Yggpost
// user; the message lands in INBOX like any other; a From header that is
// not the sending node's key is refused.
func TestClassicYggmailInbound(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	old := newYggmailNode(t, nil, alice.MeshURL())
	msg := nodetest.Message(old.addr, alice.Addr, "from yggmail", "sent by a classic node\r\n")
	if err := old.send(alice.Addr, msg); err != nil {
		t.Fatalf("classic delivery: %v", err)
	}
	nodetest.AssertExactlyOnce(t, alice.WaitInbox(1, 30*time.Second), [][]byte{msg})

	forged := nodetest.Message(alice.Addr, alice.Addr, "forged", "not from the sending node\r\n")
	err := old.send(alice.Addr, forged)
	var serr *smtp.SMTPError
	if !errors.As(err, &serr) || serr.Code != 550 {
		t.Fatalf("forged From: err = %v, want a 550 refusal", err)
	}
	if n := len(alice.WaitInbox(1, time.Second)); n != 1 {
		t.Fatalf("INBOX holds %d messages after the forged one, want 1", n)
	}
}

// TestClassicYggmailOutbound: a Yggpost user writes to a Yggmail user with
// no setting changed; the message arrives in plain form, once; a reply
// comes back; a second message goes the same way.
func TestClassicYggmailOutbound(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	old := newYggmailNode(t, nil, alice.MeshURL())
	var want [][]byte
	for i := range 2 {
		msg := nodetest.Message(alice.Addr, old.addr, fmt.Sprintf("to yggmail %d", i), "hello old friend\r\n")
		alice.MustSend(old.addr, msg)
		want = append(want, msg)
		old.waitReceived(i+1, 30*time.Second)
	}
	nodetest.AssertExactlyOnce(t, old.waitReceived(2, time.Second), want)
	alice.WaitOutboxEmpty(10 * time.Second)
}

// TestClassicYggmailDownThenUp: the Yggmail node is offline when the
// message is sent; the sender's queue keeps it and delivers it when the
// node is back.
func TestClassicYggmailDownThenUp(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	addr, _ := envelope.AddressFromKey(key.Public().(ed25519.PublicKey))
	msg := nodetest.Message(alice.Addr, addr, "while you were away", "classic node offline\r\n")
	alice.MustSend(addr, msg)
	waitAttempted(t, alice, 30*time.Second)
	old := newYggmailNode(t, key, alice.MeshURL())
	nodetest.AssertExactlyOnce(t, old.waitReceived(1, 30*time.Second), [][]byte{msg})
	alice.WaitOutboxEmpty(10 * time.Second)
}

// TestNoDowngradeOfAYggpostPeer: Bob's node speaks YGGPOST; later a node
// with Bob's key answers without the extension (a downgrade). Alice's node
// does not send the message in the clear: it stays queued, saying why.
func TestNoDowngradeOfAYggpostPeer(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}})
	alice.MustSend(bob.Addr, nodetest.Message(alice.Addr, bob.Addr, "sealed", "over YGGPOST\r\n"))
	bob.WaitInbox(1, 30*time.Second)
	alice.WaitOutboxEmpty(10 * time.Second) // the acknowledgement is in
	bob.Stop()
	bobKey := storedKey(t, bob.DB)

	impostor := newYggmailNode(t, bobKey, alice.MeshURL())
	alice.MustSend(bob.Addr, nodetest.Message(alice.Addr, bob.Addr, "must stay sealed", "never in the clear\r\n"))
	var rows []mailbox.Outbound
	if !testkit.Poll(30*time.Second, func() bool {
		var err error
		rows, err = alice.Node.Store().Outbox()
		if err != nil {
			t.Fatal(err)
		}
		return len(rows) == 1 && strings.Contains(rows[0].LastError, "no longer advertises")
	}) {
		t.Fatalf("queue did not record the refused downgrade: %+v", rows)
	}
	impostor.mu.Lock()
	defer impostor.mu.Unlock()
	if len(impostor.received) != 0 {
		t.Fatalf("the message went out in the clear to a node without YGGPOST")
	}
}

// storedKey reads a stopped node's key from its database.
func storedKey(t *testing.T, db string) ed25519.PrivateKey {
	t.Helper()
	s, err := mailbox.Open(db, mailbox.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	defer s.Close()
	seed, err := s.Setting("node.ed25519-seed")
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("node key in %s: %d bytes, %v", db, len(seed), err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

// TestClassicRecipientBouncesWithReason: a message for a classic node that
// stays offline bounces at the give-up time, and the report says why there
// was no other way: classic nodes have no relays.
func TestClassicRecipientBouncesWithReason(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true, GiveUp: 2 * time.Second})
	old := newYggmailNode(t, nil, alice.MeshURL())
	alice.MustSend(old.addr, nodetest.Message(alice.Addr, old.addr, "first", "while online\r\n"))
	old.waitReceived(1, 30*time.Second)
	alice.WaitOutboxEmpty(10 * time.Second) // the acknowledgement is in
	old.stop()
	alice.MustSend(old.addr, nodetest.Message(alice.Addr, old.addr, "second", "while offline\r\n"))
	got := alice.WaitInbox(1, 60*time.Second)
	report := string(got[0])
	for _, want := range []string{"Final-Recipient: rfc822; " + old.addr.String(), "Action: failed", "classic Yggmail node"} {
		if !strings.Contains(report, want) {
			t.Errorf("delivery report lacks %q:\n%s", want, report)
		}
	}
}

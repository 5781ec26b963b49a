package peer

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// tcpMesh hands out one end of a loopback TCP connection per Dial and
// serves the other end with a function of the test's.
type tcpMesh struct {
	t      *testing.T
	serve  func(conn net.Conn)
	resets int
}

func (m *tcpMesh) Dial(ctx context.Context, to ed25519.PublicKey) (net.Conn, error) {
	c, s := tcpPair(m.t)
	go m.serve(s)
	return c, nil
}

func (m *tcpMesh) ResetPeer(ed25519.PublicKey) bool { m.resets++; return true }

func TestDialerOpensASession(t *testing.T) {
	srv := newServer(&store{})
	mesh := &tcpMesh{t: t, serve: func(conn net.Conn) { srv.ServeConn(context.Background(), conn, alice) }}
	d := &Dialer{Mesh: mesh, Client: Client{Local: alice, Timeouts: quick}}
	sc, err := d.Open(context.Background(), bob, time.Second)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if !sc.Yggpost() {
		t.Error("the session does not see the server's YGGPOST extension")
	}
	if err := sc.Quit(context.Background()); err != nil {
		t.Errorf("quit: %v", err)
	}
	if mesh.resets != 0 {
		t.Errorf("a working connection was reset %d times", mesh.resets)
	}
}

func TestDialerResetsAConnectionThatDoesNotGreet(t *testing.T) {
	silent := make(chan net.Conn, 1)
	mesh := &tcpMesh{t: t, serve: func(conn net.Conn) { silent <- conn }}
	d := &Dialer{Mesh: mesh, Client: Client{Local: alice, Timeouts: quick}, Setup: 200 * time.Millisecond}
	_, err := d.Open(context.Background(), bob, time.Second)
	if err == nil || !strings.Contains(err.Error(), "open session with "+bob.String()) {
		t.Fatalf("open on a stream that never greets: %v", err)
	}
	if mesh.resets != 1 {
		t.Errorf("the stale connection was reset %d times, want once", mesh.resets)
	}
}

// unreachableMesh finds nobody.
type unreachableMesh struct{}

func (unreachableMesh) Dial(ctx context.Context, to ed25519.PublicKey) (net.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (unreachableMesh) ResetPeer(ed25519.PublicKey) bool { return false }

func TestDialerGivesUpAfterReach(t *testing.T) {
	d := &Dialer{Mesh: unreachableMesh{}, Client: Client{Local: alice}}
	_, err := d.Open(context.Background(), bob, 50*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "reach "+bob.String()) {
		t.Fatalf("open of an unreachable node: %v", err)
	}
}

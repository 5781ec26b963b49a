package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"
)

// testLogger shows the mesh's own logs with -v and YGGPOST_TEST_LOG=1.
func testLogger() *slog.Logger {
	if os.Getenv("YGGPOST_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// startMesh starts a node listening on a free loopback port and peering with
// the given nodes; it is closed when the test ends.
func startMesh(t testing.TB, key ed25519.PrivateKey, peers ...*Mesh) *Mesh {
	t.Helper()
	cfg := Config{PrivateKey: key, Listen: []string{"tcp://127.0.0.1:0"}, Logger: testLogger()}
	for _, p := range peers {
		cfg.Peers = append(cfg.Peers, p.ListenAddrs()[0])
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("start mesh: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// serveEcho answers every stream on m by echoing it back.
func serveEcho(m *Mesh) {
	go func() {
		for {
			c, _, err := m.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
}

// echo sends msg on c (led by the protocol's space byte) and checks that
// the same bytes come back before the deadline.
func echo(c net.Conn, msg string, wait time.Duration) error {
	if err := c.SetDeadline(time.Now().Add(wait)); err != nil {
		return err
	}
	want := []byte(" " + msg)
	if _, err := c.Write(want); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("read echo: %w", err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("echo: got %q, want %q", got, want)
	}
	return nil
}

// dialEcho dials to from m and checks one echo round trip. A first
// contact takes a few seconds at most on an idle machine; the deadline is
// for a machine busy with the other packages' tests.
func dialEcho(t testing.TB, m *Mesh, to ed25519.PublicKey, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	c, err := m.Dial(ctx, to)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if err := echo(c, msg, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func tryDialEcho(m *Mesh, to ed25519.PublicKey, msg string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := m.Dial(ctx, to)
	if err != nil {
		return err
	}
	defer c.Close()
	return echo(c, msg, 10*time.Second)
}

// waitEvent waits for key (nil: "retry all") on m.Reachable and returns how
// long it took.
func waitEvent(t testing.TB, m *Mesh, key ed25519.PublicKey, wait time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	timeout := time.After(wait)
	for {
		select {
		case k, ok := <-m.Reachable():
			if !ok {
				t.Fatal("Reachable closed")
			}
			if (key == nil && k == nil) || (key != nil && key.Equal(k)) {
				return time.Since(start)
			}
		case <-timeout:
			t.Fatalf("no reachability event for %x within %v", []byte(key), wait)
		}
	}
}

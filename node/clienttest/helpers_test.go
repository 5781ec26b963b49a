package clienttest_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yggpost/yggpost/node"
)

const testPassword = "client test password"

// testNode is a Yggpost node running inside the test process.
type testNode struct {
	t    testing.TB
	name string
	node *node.Node
	addr string      // the mail address, <hex>@yggmail
	cfg  node.Config // as opened, for a restart
	stop func()      // stops the node and closes its database; idempotent
}

// startNode opens and runs a node on loopback with free ports, waits until
// it is ready, and stops it when the test ends. With listen it accepts mesh
// peerings; peers are mesh URLs to connect to.
func startNode(t testing.TB, name string, listen bool, peers ...string) *testNode {
	t.Helper()
	return startNodeWith(t, name, func(cfg *node.Config) {
		cfg.Peers = peers
		if listen {
			cfg.Listen = []string{"tcp://127.0.0.1:0"}
		}
	})
}

// startNodeWith is startNode with the configuration adjusted by tweak.
func startNodeWith(t testing.TB, name string, tweak func(*node.Config)) *testNode {
	t.Helper()
	cfg := node.Config{
		Database: t.TempDir(),
		SMTPAddr: "127.0.0.1:0",
		IMAPAddr: "127.0.0.1:0",
		Logger:   testLogger(t, name),
	}
	tweak(&cfg)
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatalf("open node %s: %v", name, err)
	}
	if err := n.SetPassword(testPassword); err != nil {
		t.Fatalf("set password on %s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { stopNode(t, name, n, cancel, done) }) }
	t.Cleanup(stop)
	select {
	case <-n.Ready():
	case err := <-done:
		done <- err
		t.Fatalf("node %s stopped before it was ready: %v", name, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("node %s not ready after 30s", name)
	}
	return &testNode{t: t, name: name, node: n, addr: n.Address().String(), cfg: cfg, stop: stop}
}

// restart stops the node and starts it again on the same database and
// addresses, returning the new handle.
func (tn *testNode) restart() *testNode {
	tn.t.Helper()
	tn.stop()
	cfg := tn.cfg
	return startNodeWith(tn.t, tn.name, func(c *node.Config) { *c = cfg })
}

// freeAddr returns a loopback address with a port that was free a moment
// ago, for a node that must keep its ports across a restart.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// stopNode cancels a node's Run, waits for it and closes its database.
func stopNode(t testing.TB, name string, n *node.Node, cancel context.CancelFunc, done chan error) {
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("node %s: Run returned %v", name, err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("node %s: Run did not return within 30s of shutdown", name)
	}
	if err := n.Close(); err != nil {
		t.Errorf("node %s: close database: %v", name, err)
	}
}

// meshURL is the URL another node peers with to reach this one.
func (tn *testNode) meshURL() string {
	tn.t.Helper()
	addrs := tn.node.MeshListenAddrs()
	if len(addrs) == 0 {
		tn.t.Fatalf("node %s has no mesh listener", tn.name)
	}
	return addrs[0]
}

// hostPort splits a listen address into host and numeric port.
func hostPort(t testing.TB, addr string) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("split %q: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("port of %q: %v", addr, err)
	}
	return host, p
}

// pair starts two nodes, alice listening and bob peered with her.
func pair(t testing.TB) (alice, bob *testNode) {
	alice = startNode(t, "alice", true)
	bob = startNode(t, "bob", false, alice.meshURL())
	return alice, bob
}

// testLogger logs through t.Log while the test runs and discards after it
// ended, so a straggling goroutine never writes into a finished test.
func testLogger(t testing.TB, name string) *slog.Logger {
	w := &testWriter{t: t, name: name}
	t.Cleanup(func() { w.done.Store(true) })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	t    testing.TB
	name string
	done atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Logf("%s: %s", w.name, bytes.TrimRight(p, "\n"))
	}
	return len(p), nil
}

// missing skips the test because a client is not installed, or fails it
// when YGGPOST_REQUIRE_CLIENTS is set: .ci/run sets it after installing
// every client, so a broken install step cannot pass as a skip.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("YGGPOST_REQUIRE_CLIENTS") != "" {
		t.Fatalf("YGGPOST_REQUIRE_CLIENTS is set but "+format, args...)
	}
	t.Skipf(format, args...)
}

// needTool returns the path of a command-line client, or skips the test
// naming the Debian package that provides it.
func needTool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s not installed (Debian package %s; .ci/run installs it)", name, debianPackage)
	}
	return p
}

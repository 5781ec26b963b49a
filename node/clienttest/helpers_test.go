package clienttest_test

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/yggpost/yggpost/node/nodetest"
)

// testNode is a node of the nodetest harness with its address as a
// string, the form the clients' command lines and configurations take.
type testNode struct {
	*nodetest.Node
	addr string // the mail address, <hex>@yggmail
}

// start runs a node of the harness (see nodetest.Start).
func start(t testing.TB, name string, o nodetest.Options) *testNode {
	t.Helper()
	return clientNode(nodetest.Start(t, name, o))
}

func clientNode(n *nodetest.Node) *testNode {
	return &testNode{Node: n, addr: n.Addr.String()}
}

// restart stops the node and starts it again on the same database and
// addresses, returning the new handle.
func (tn *testNode) restart() *testNode {
	tn.T.Helper()
	return clientNode(tn.Restart())
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
	alice = start(t, "alice", nodetest.Options{Listen: true})
	bob = start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}})
	return alice, bob
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

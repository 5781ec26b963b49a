package transport

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment of the child processes of TestMulticastDiscovery.
const (
	envMcastRole = "YGGPOST_MCAST_ROLE" // "accept" or "dial"
	envMcastSelf = "YGGPOST_MCAST_SEED" // hex ed25519 seed of this node
	envMcastPeer = "YGGPOST_MCAST_PEER" // hex public key of the other node
)

// TestMulticastDiscovery joins two network namespaces with a veth pair and
// runs one node in each (this test binary, re-executed) with multicast as
// their only way to find each other; they must exchange a stream.
func TestMulticastDiscovery(t *testing.T) {
	if role := os.Getenv(envMcastRole); role != "" {
		mcastChild(t, role)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("multicast test needs root to create network namespaces")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ns := [2]string{fmt.Sprintf("ygpA%d", os.Getpid()), fmt.Sprintf("ygpB%d", os.Getpid())}
	setupVethPair(t, ns)
	keys := [2]ed25519.PrivateKey{newKey(t), newKey(t)}
	roles := [2]string{"accept", "dial"}
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns[i], self, "-test.run=^TestMulticastDiscovery$", "-test.v")
			cmd.Env = append(os.Environ(), envMcastRole+"="+roles[i],
				envMcastSelf+"="+hex.EncodeToString(keys[i].Seed()),
				envMcastPeer+"="+hex.EncodeToString(keys[1-i].Public().(ed25519.PublicKey)))
			out, err := cmd.CombinedOutput()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || !strings.Contains(outs[i], "MULTICAST-OK") {
			t.Errorf("%s node in %s failed (%v):\n%s", roles[i], ns[i], errs[i], outs[i])
		}
	}
}

// setupVethPair creates the namespaces and a veth pair between them, with
// duplicate address detection off so link-local addresses are usable at
// once. Everything is removed when the test ends.
func setupVethPair(t *testing.T, ns [2]string) {
	for _, n := range ns {
		if out, err := exec.Command("ip", "netns", "add", n).CombinedOutput(); err != nil {
			t.Skipf("cannot create network namespace (%v): %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", n).Run() }) // best effort
		ipRun(t, "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
	}
	ipRun(t, "link", "add", "veth0", "netns", ns[0], "type", "veth", "peer", "name", "veth1", "netns", ns[1])
	ipRun(t, "-n", ns[0], "link", "set", "veth0", "up")
	ipRun(t, "-n", ns[1], "link", "set", "veth1", "up")
}

func ipRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// mcastChild is one node of TestMulticastDiscovery inside its namespace.
func mcastChild(t *testing.T, role string) {
	seed, err := hex.DecodeString(os.Getenv(envMcastSelf))
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("bad %s", envMcastSelf)
	}
	peer, err := hex.DecodeString(os.Getenv(envMcastPeer))
	if err != nil || len(peer) != ed25519.PublicKeySize {
		t.Fatalf("bad %s", envMcastPeer)
	}
	m, err := New(Config{PrivateKey: ed25519.NewKeyFromSeed(seed), Multicast: true, MulticastRegexp: "^veth", Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if role == "dial" {
		dialEcho(t, m, peer, "found you by multicast")
	} else {
		acceptEchoOnce(t, m, peer)
	}
	fmt.Println("MULTICAST-OK")
}

func acceptEchoOnce(t *testing.T, m *Mesh, from ed25519.PublicKey) {
	type result struct {
		c   io.ReadWriteCloser
		key ed25519.PublicKey
		err error
	}
	got := make(chan result, 1)
	go func() { c, k, err := m.Accept(); got <- result{c, k, err} }()
	select {
	case r := <-got:
		if r.err != nil || !r.key.Equal(from) {
			t.Fatalf("accept: %v from %x", r.err, []byte(r.key))
		}
		defer r.c.Close()
		// The dialer closes its whole node right after reading the echo, so
		// the copy may end with "node shutting down" instead of EOF; what
		// counts is that the message came and went back.
		const msg = " found you by multicast"
		if n, err := io.Copy(r.c, r.c); n < int64(len(msg)) {
			t.Fatalf("echoed %d bytes, want %d: %v", n, len(msg), err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no stream within 30s")
	}
}

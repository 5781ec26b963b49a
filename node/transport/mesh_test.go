package transport

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTwoNodesEchoBothWays(t *testing.T) {
	t.Parallel()
	a := startMesh(t, newKey(t))
	b := startMesh(t, newKey(t), a)
	serveEcho(a)
	serveEcho(b)

	start := time.Now()
	dialEcho(t, a, b.PublicKey(), "hello b")
	t.Logf("first dial and echo a→b: %v", time.Since(start))
	dialEcho(t, b, a.PublicKey(), "hello a")

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		wg.Add(2)
		go func() { defer wg.Done(); errs <- tryDialEcho(a, b.PublicKey(), fmt.Sprint("a→b ", i)) }()
		go func() { defer wg.Done(); errs <- tryDialEcho(b, a.PublicKey(), fmt.Sprint("b→a ", i)) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestPeersReportsLink(t *testing.T) {
	t.Parallel()
	a := startMesh(t, newKey(t))
	b := startMesh(t, newKey(t), a)
	waitEvent(t, b, nil, 10*time.Second)
	serveEcho(a)
	dialEcho(t, b, a.PublicKey(), "link is up")
	found := false
	for _, p := range b.Peers() {
		found = found || (p.Up && p.Key.Equal(a.PublicKey()) && !p.Inbound)
	}
	if !found {
		t.Fatalf("b.Peers() = %+v, want an outbound link to a", b.Peers())
	}
	if got := a.ListenAddrs(); len(got) != 1 || !strings.HasPrefix(got[0], "tcp://127.0.0.1:") || strings.HasSuffix(got[0], ":0") {
		t.Fatalf("ListenAddrs = %v, want one bound tcp://127.0.0.1:port", got)
	}
}

func TestLineOfThree(t *testing.T) {
	t.Parallel()
	a := startMesh(t, newKey(t))
	m := startMesh(t, newKey(t), a)
	b := startMesh(t, newKey(t), m)
	serveEcho(a)
	serveEcho(b)
	start := time.Now()
	dialEcho(t, a, b.PublicKey(), "over two hops")
	t.Logf("first dial and echo a→b over m: %v", time.Since(start))
	dialEcho(t, b, a.PublicKey(), "and back")
}

func TestDialRefusesBadKeys(t *testing.T) {
	a := startMesh(t, newKey(t))
	if _, err := a.Dial(t.Context(), ed25519.PublicKey{1, 2, 3}); err == nil {
		t.Fatal("dial with a 3-byte key succeeded")
	}
	if _, err := a.Dial(t.Context(), a.PublicKey()); err == nil {
		t.Fatal("dial to own key succeeded")
	}
	a.Probe(ed25519.PublicKey{1}) // must not panic
}

func TestBadConfig(t *testing.T) {
	key := newKey(t)
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{PrivateKey: key[:10]}, "private key"},
		{Config{PrivateKey: key, Peers: []string{"127.0.0.1:9001"}}, "scheme"},
		{Config{PrivateKey: key, Peers: []string{"http://127.0.0.1:9001"}}, `unsupported scheme "http"`},
		{Config{PrivateKey: key, Peers: []string{"tcp://127.0.0.1"}}, "host:port"},
		{Config{PrivateKey: key, Peers: []string{"tcp://127.0.0.1:99999"}}, "bad port"},
		{Config{PrivateKey: key, Peers: []string{"tcp://127.0.0.1:0"}}, "port 0"},
		{Config{PrivateKey: key, Peers: []string{"tcp://:9001"}}, "missing host"},
		{Config{PrivateKey: key, Peers: []string{"tcp://[::1:9001"}}, "not a URL"},
		{Config{PrivateKey: key, Peers: []string{"tcp://127.0.0.1:9001?key=zz"}}, "pinned public key"},
		{Config{PrivateKey: key, Listen: []string{"udp://0.0.0.0:1"}}, "listen address"},
		{Config{PrivateKey: key, Multicast: true, MulticastRegexp: "("}, "regexp"},
	}
	for _, c := range cases {
		m, err := New(c.cfg)
		if err == nil {
			_ = m.Close()
			t.Errorf("New(%+v) succeeded, want error containing %q", c.cfg.Peers, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%v %v): %v, want it to mention %q", c.cfg.Peers, c.cfg.Listen, err, c.want)
		}
	}
}

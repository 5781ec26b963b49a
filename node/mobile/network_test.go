package mobile

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
	"github.com/yggpost/yggpost/relay"
)

// linkProxy stands for the phone's network: the phone's peering link to
// its relay runs through it, and the test cuts it (the phone lost Wi-Fi)
// and restores it (mobile data came up). While cut it accepts each
// connection and closes it at once, so the phone's redials fail as they
// do without a network, and counts them.
type linkProxy struct {
	ln      net.Listener
	target  string
	refused atomic.Int32

	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

func newLinkProxy(t *testing.T, target string) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go p.serve()
	return p
}

// URL is the peer URL that reaches the target through the proxy.
func (p *linkProxy) URL() string { return "tcp://" + p.ln.Addr().String() }

func (p *linkProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		if !cut {
			p.conns = append(p.conns, c)
		}
		p.mu.Unlock()
		if cut {
			p.refused.Add(1)
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *linkProxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, up)
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// setCut cuts the network (closing every connection through it) or
// restores it.
func (p *linkProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

// TestNetworkChangedCollectsFromTheRelay: a phone loses its network long
// enough for its relay session to end and for Yggdrasil's redials of its
// peer to back off (2, 4, 8, then 16 s); mail for it waits at its relay
// meanwhile. When the network is back the app calls NetworkChanged, and
// the mail is in INBOX within 2 s. Without the call the phone would not
// even redial its peer for another 15 s (the test fails then).
func TestNetworkChangedCollectsFromTheRelay(t *testing.T) {
	r := nodetest.Start(t, "relay", nodetest.Options{Listen: true, Relay: &relay.Options{Policy: relay.PolicyOpen, Forward: true}})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}})
	network := newLinkProxy(t, r.MeshURL()[len("tcp://"):])

	m, cfg := newApp(t)
	cfg.Peers, cfg.Relays = network.URL(), r.Addr.String()
	cb := newRecorder(t)
	if err := m.Start(cfg, cb); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	alice := mailClient(t, m, cfg, "alice")
	testkit.WaitFor(t, 60*time.Second, "alice and bob to be members of the relay", func() bool {
		return r.RelayStatus().Members == 2
	})
	testkit.WaitFor(t, 30*time.Second, "alice's relay session", func() bool {
		_, relays := cb.connectivity()
		return relays == 1
	})

	network.setCut(true)
	testkit.WaitFor(t, 10*time.Second, "alice to see her link go down", func() bool {
		peers, _ := cb.connectivity()
		return peers == 0
	})
	msg := nodetest.Message(bob.Addr, alice.Addr, "while the phone was offline", "hello\r\n")
	bob.MustSend(alice.Addr, msg)
	testkit.WaitFor(t, 30*time.Second, "the relay to hold bob's message for alice", func() bool {
		return r.RelayStatus().Envelopes == 1
	})
	// Three failed redials (the next waits 16 s), and the relay session
	// ended by QUIC's idle timeout (15 s).
	testkit.WaitFor(t, 30*time.Second, "alice's third failed redial", func() bool {
		return network.refused.Load() >= 3
	})
	testkit.WaitFor(t, 30*time.Second, "alice's relay session to end", func() bool {
		_, relays := cb.connectivity()
		return relays == 0
	})

	network.setCut(false)
	back := time.Now()
	if err := m.NetworkChanged(); err != nil {
		t.Fatalf("network changed: %v", err)
	}
	got := alice.WaitInbox(1, 2*time.Second)
	t.Logf("in INBOX %v after the network came back", time.Since(back).Round(time.Millisecond))
	nodetest.AssertExactlyOnce(t, got, [][]byte{msg})
	peers, relays := cb.connectivity()
	if peers != 1 || relays != 1 {
		t.Errorf("connectivity: %d peers, %d relays; want 1 and 1 once the network is back", peers, relays)
	}
	// Alice's node answers with a delivery receipt, which turns bob's
	// Sent copy $Delivered; it is the node's own message, not the user's,
	// and has no outcome callback.
	bob.WaitSentAll(1, node.KeywordDelivered, 30*time.Second)
	if _, _, outcomes := cb.snapshot(); len(outcomes) != 0 {
		t.Errorf("outcomes %v reported for a user who sent nothing", outcomes)
	}
}

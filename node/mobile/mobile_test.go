package mobile

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/nodetest"
)

// recorder is an app's Callbacks: it keeps what it hears.
type recorder struct {
	t        *testing.T
	mu       sync.Mutex
	lines    int
	stored   map[string]int // "mailbox/uid" → calls
	from     []string
	outcomes []string // "recipient outcome"
	peers    int      // as last reported by Connectivity
	relays   int
}

func newRecorder(t *testing.T) *recorder { return &recorder{t: t, stored: map[string]int{}} }

func (r *recorder) Log(string) { r.mu.Lock(); r.lines++; r.mu.Unlock() }
func (r *recorder) MessageStored(mailbox string, uid int64, from string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stored[mailbox+"/"+strconv.FormatInt(uid, 10)]++
	r.from = append(r.from, from)
}
func (r *recorder) MessageOutcome(rcpt, messageID, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, rcpt+" "+messageID+" "+outcome)
}
func (r *recorder) Connectivity(peers, relays int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.peers, r.relays = peers, relays
}

// connectivity returns the peers and relays last reported.
func (r *recorder) connectivity() (peers, relays int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peers, r.relays
}

// snapshot returns the stored counts, senders and outcomes heard so far.
func (r *recorder) snapshot() (map[string]int, []string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	stored := map[string]int{}
	for k, v := range r.stored {
		stored[k] = v
	}
	return stored, append([]string(nil), r.from...), append([]string(nil), r.outcomes...)
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// greets dials a loopback port and reads the server's first line.
func greets(t *testing.T, port int) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		t.Fatalf("dial port %d: %v", port, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("greeting on port %d: %v", port, err)
	}
	return line
}

// newApp returns a stopped embedded node whose password is
// nodetest.Password, and a configuration with free loopback ports.
func newApp(t *testing.T) (*Node, *Config) {
	t.Helper()
	m := NewNode(t.TempDir())
	if err := m.SetPassword(nodetest.Password); err != nil {
		t.Fatal(err)
	}
	cfg := NewConfig()
	cfg.SMTPPort, cfg.IMAPPort = freePort(t), freePort(t)
	return m, cfg
}

// mailClient is the app's mail client: it logs in to m's loopback ports,
// as configured in cfg, with nodetest.Password.
func mailClient(t *testing.T, m *Node, cfg *Config, name string) *nodetest.Node {
	t.Helper()
	addr, err := m.Address()
	if err != nil {
		t.Fatal(err)
	}
	c := &nodetest.Node{T: t, Name: name, SMTPAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.SMTPPort)),
		IMAPAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.IMAPPort))}
	if c.Addr, err = envelope.ParseAddress(addr); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStartStopCyclesOnTheSamePorts: an app stops and starts its node
// often (backgrounded, killed, brought back); each Start succeeds on the
// same ports at once, because Stop returns only once they are released.
func TestStartStopCyclesOnTheSamePorts(t *testing.T) {
	m := NewNode(t.TempDir())
	cfg := NewConfig()
	cfg.SMTPPort, cfg.IMAPPort = freePort(t), freePort(t)
	cb := newRecorder(t)
	for i := range 20 {
		if err := m.Start(cfg, cb); err != nil {
			t.Fatalf("start %d: %v", i+1, err)
		}
		if !m.IsRunning() {
			t.Fatalf("start %d: not running", i+1)
		}
		if g := greets(t, cfg.IMAPPort); !strings.HasPrefix(g, "* OK") {
			t.Fatalf("start %d: IMAP greets %q", i+1, g)
		}
		if g := greets(t, cfg.SMTPPort); !strings.HasPrefix(g, "220 ") {
			t.Fatalf("start %d: SMTP greets %q", i+1, g)
		}
		if err := m.Stop(); err != nil {
			t.Fatalf("stop %d: %v", i+1, err)
		}
		if err := m.Stop(); err != nil {
			t.Fatalf("second stop %d: %v", i+1, err)
		}
	}
	if cb.lines == 0 {
		t.Error("no log line reached the app")
	}
	if err := m.NetworkChanged(); err == nil {
		t.Error("NetworkChanged on a stopped node did not say it is stopped")
	}
}

// TestPasswordAndAddressWhileStopped: the app creates the account before
// the first start and hands address and password to the mail client.
func TestPasswordAndAddressWhileStopped(t *testing.T) {
	m := NewNode(t.TempDir())
	addr, err := m.Address()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envelope.ParseAddress(addr); err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	password, err := m.CreatePassword()
	if err != nil || len(password) < 20 {
		t.Fatalf("created password %q: %v", password, err)
	}
	if _, err := m.DeltaChatLink("wrong", nil); err == nil {
		t.Fatal("a Delta Chat link was made with a wrong password")
	}
	link, err := m.DeltaChatLink(password, nil)
	if err != nil || !strings.HasPrefix(link, "dclogin:"+addr+"?") || !strings.Contains(link, "ip=1143") {
		t.Fatalf("Delta Chat link %q (%v)", link, err)
	}
	cfg := NewConfig()
	cfg.SMTPPort, cfg.IMAPPort = freePort(t), freePort(t)
	if err := m.Start(cfg, nil); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	again, _ := m.Address()
	if again != addr {
		t.Fatalf("address changed from %s to %s", addr, again)
	}
	client := mailClient(t, m, cfg, "app")
	if err := m.SetPassword(nodetest.Password); err != nil { // the harness logs in with it
		t.Fatal(err)
	}
	client.MustSend(client.Addr, nodetest.Message(client.Addr, client.Addr, "note to self", "hi\r\n"))
	client.WaitInbox(1, 10*time.Second)
}

// TestPeerChangeCallbacksAndStatus: a node started without peers gets one
// while running and reaches a node only reachable through it; each message
// it stores fires MessageStored once, each sent message its outcome.
func TestPeerChangeCallbacksAndStatus(t *testing.T) {
	bob := nodetest.Start(t, "bob", nodetest.Options{Listen: true})
	m, cfg := newApp(t)
	cb := newRecorder(t)
	if err := m.Start(cfg, cb); err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	alice := mailClient(t, m, cfg, "alice")
	addr := alice.Addr.String()

	if err := m.SetPeers("tls://bad host"); err == nil {
		t.Fatal("a malformed peer was taken")
	}
	if err := m.SetPeers(bob.MeshURL()); err != nil {
		t.Fatalf("set peers: %v", err)
	}
	alice.MustSend(bob.Addr, nodetest.Message(alice.Addr, bob.Addr, "through the new peer", "hi\r\n"))
	bob.WaitInbox(1, 60*time.Second)
	testkit.WaitFor(t, 30*time.Second, "the delivered outcome", func() bool {
		_, _, outcomes := cb.snapshot()
		return len(outcomes) == 1
	})
	if _, _, outcomes := cb.snapshot(); outcomes[0] != bob.Addr.String()+" <through.the.new.peer@test> delivered" {
		t.Fatalf("outcomes %v, want one delivered to bob", outcomes)
	}

	for i := range 3 {
		bob.MustSend(alice.Addr, nodetest.Message(bob.Addr, alice.Addr, "to the phone "+strconv.Itoa(i), "hello\r\n"))
	}
	alice.WaitInbox(3, 60*time.Second)
	testkit.WaitFor(t, 10*time.Second, "three MessageStored calls", func() bool {
		_, from, _ := cb.snapshot()
		return len(from) >= 3
	})
	stored, from, _ := cb.snapshot()
	if len(stored) != 3 || len(from) != 3 {
		t.Fatalf("MessageStored heard %v from %v, want three messages once each", stored, from)
	}
	for key, calls := range stored {
		if calls != 1 || !strings.HasPrefix(key, "INBOX/") {
			t.Errorf("%s stored %d times", key, calls)
		}
	}
	for _, f := range from {
		if f != bob.Addr.String() {
			t.Errorf("a message from %s, want bob", f)
		}
	}
	if err := m.SetForeground(true); err != nil {
		t.Fatalf("foreground: %v", err)
	}
	status, err := m.StatusJSON()
	if err != nil || !strings.Contains(status, `"address":"`+addr+`"`) || !strings.Contains(status, `"up":true`) {
		t.Fatalf("status %s (%v): want the address and a peer up", status, err)
	}
}

// TestStopDuringTransferLosesNothing: the app stops the node right after
// its mail client handed over a large message, while it is on its way;
// after the next Start the message arrives once, intact.
func TestStopDuringTransferLosesNothing(t *testing.T) {
	bob := nodetest.Start(t, "bob", nodetest.Options{Listen: true})
	m, cfg := newApp(t)
	cfg.Peers = bob.MeshURL()
	if err := m.Start(cfg, nil); err != nil {
		t.Fatal(err)
	}
	alice := mailClient(t, m, cfg, "alice")
	big := nodetest.Message(alice.Addr, bob.Addr, "a large photo", strings.Repeat("0123456789abcdef\r\n", 300_000)) // 5.4 MB
	alice.MustSend(bob.Addr, big)
	if err := m.Stop(); err != nil {
		t.Fatalf("stop during the transfer: %v", err)
	}
	if err := m.Start(cfg, nil); err != nil {
		t.Fatalf("start again: %v", err)
	}
	defer m.Stop()
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(1, 60*time.Second), [][]byte{big})
}

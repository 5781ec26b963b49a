// Package nodetest runs Yggpost nodes inside a test, on loopback with free
// ports and their own temporary databases, and talks to them as a mail
// client does: SMTP submission with AUTH PLAIN and IMAP. It is a thin
// layer over the public API of package node, shared by the tests of node,
// its client tests and the command's tests; only tests import it.
package nodetest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/relay"
)

// Password is the password of every test node's user.
const Password = "correct horse battery staple"

// DefaultReach is the ReachTimeout of a test node unless Options say
// otherwise: on loopback a first contact takes up to about 3 s.
const DefaultReach = 5 * time.Second

// Options tweak a test node's configuration. The zero value is a node
// with no mesh links, the default limits and no relays.
type Options struct {
	DB     string   // reuse a database directory (restart); default a new temp dir
	Peers  []string // mesh peers
	Listen bool     // listen for peerings on tcp://127.0.0.1:0
	Quiet  bool     // discard the node's log (benchmarks)
	TLS    bool     // also serve IMAPS and submissions on loopback
	Limit  int64    // MaxMessageSize; 0 for the default
	GiveUp time.Duration

	Relay  *relay.Options     // run the relay role with these options
	Relays []envelope.Address // the user's relays
	Reach  time.Duration      // ReachTimeout; 0 for DefaultReach
	Notify time.Duration      // NotifyAfter; 0 for the default
	Expire time.Duration      // relay ExpireInterval; 0 for the default

	// Tweak, if set, adjusts the configuration last, for settings the
	// fields above do not name.
	Tweak func(*node.Config)
}

// Node is a node under test. A Node made by Start runs in the test
// process; one filled in by hand (T, Name, Addr, SMTPAddr, IMAPAddr) gives a
// node running elsewhere the client methods.
type Node struct {
	T        testing.TB
	Name     string
	DB       string
	Node     *node.Node // nil for a node that runs elsewhere
	Addr     envelope.Address
	SMTPAddr string
	IMAPAddr string
	// IMAPSAddr and SubmissionsAddr are set with Options.TLS.
	IMAPSAddr       string
	SubmissionsAddr string
	Config          node.Config // as opened, for a restart

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// config builds the node configuration o asks for.
func (o Options) config(t testing.TB, name string) node.Config {
	if o.DB == "" {
		o.DB = t.TempDir()
	}
	cfg := node.Config{
		Database:       o.DB,
		SMTPAddr:       "127.0.0.1:0",
		IMAPAddr:       "127.0.0.1:0",
		Peers:          o.Peers,
		Logger:         testkit.Logger(t, name),
		MaxMessageSize: o.Limit,
		GiveUp:         o.GiveUp,
		Relay:          o.Relay,
		ReachTimeout:   o.Reach,
		NotifyAfter:    o.Notify,
		ExpireInterval: o.Expire,
	}
	if cfg.ReachTimeout == 0 {
		cfg.ReachTimeout = DefaultReach
	}
	for _, r := range o.Relays {
		cfg.Relays = append(cfg.Relays, node.RelayRef{Address: r})
	}
	if o.Quiet {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Listen {
		cfg.Listen = []string{"tcp://127.0.0.1:0"}
	}
	if o.TLS {
		cfg.IMAPSAddr, cfg.SubmissionsAddr = "127.0.0.1:0", "127.0.0.1:0"
	}
	if o.Tweak != nil {
		o.Tweak(&cfg)
	}
	return cfg
}

// Start opens and runs a node as o asks, sets its user's Password and
// waits until it is ready. It stops when the test ends.
func Start(t testing.TB, name string, o Options) *Node {
	t.Helper()
	return run(t, name, o.config(t, name))
}

// run opens and runs a node on cfg and waits until it is ready.
func run(t testing.TB, name string, cfg node.Config) *Node {
	t.Helper()
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatalf("open node %s: %v", name, err)
	}
	if err := n.SetPassword(Password); err != nil {
		t.Fatalf("set password on %s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn := &Node{T: t, Name: name, DB: cfg.Database, Node: n, Addr: n.Address(), Config: cfg, cancel: cancel, done: make(chan error, 1)}
	go func() { tn.done <- n.Run(ctx) }()
	t.Cleanup(tn.Stop)
	select {
	case <-n.Ready():
	case err := <-tn.done:
		tn.done <- err
		t.Fatalf("node %s stopped before it was ready: %v", name, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("node %s not ready after 30s", name)
	}
	tn.SMTPAddr, tn.IMAPAddr = n.SMTPAddr(), n.IMAPAddr()
	tn.IMAPSAddr, tn.SubmissionsAddr = n.IMAPSAddr(), n.SubmissionsAddr()
	return tn
}

// Stop shuts the node down in order and closes its database; it is safe
// to call twice.
func (tn *Node) Stop() {
	if tn.cancel == nil {
		return
	}
	tn.once.Do(func() {
		tn.cancel()
		select {
		case err := <-tn.done:
			if err != nil {
				tn.T.Errorf("node %s: Run returned %v", tn.Name, err)
			}
		case <-time.After(30 * time.Second):
			tn.T.Errorf("node %s: Run did not return within 30s of shutdown", tn.Name)
		}
		if err := tn.Node.Close(); err != nil {
			tn.T.Errorf("node %s: close database: %v", tn.Name, err)
		}
	})
}

// Restart stops the node and starts it again on the same configuration:
// the same database and, where they were fixed, the same addresses.
func (tn *Node) Restart() *Node {
	tn.T.Helper()
	tn.Stop()
	return run(tn.T, tn.Name, tn.Config)
}

// MeshURL is the URL other nodes peer with to reach this one.
func (tn *Node) MeshURL() string {
	tn.T.Helper()
	addrs := tn.Node.MeshListenAddrs()
	if len(addrs) == 0 {
		tn.T.Fatalf("node %s has no mesh listener", tn.Name)
	}
	return addrs[0]
}

// Message builds a small RFC 5322 message whose Message-ID is the subject
// with dots for spaces, at the domain "test".
func Message(from, to envelope.Address, subject, body string) []byte {
	return []byte(fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\nDate: %s\r\n\r\n%s",
		from, to, subject, strings.ReplaceAll(subject, " ", "."), time.Now().Format(time.RFC1123Z), body))
}

// AssertExactlyOnce checks that every wanted message is present exactly
// once, byte for byte, and nothing else.
func AssertExactlyOnce(t testing.TB, got [][]byte, want [][]byte) {
	t.Helper()
	count := map[string]int{}
	for _, g := range got {
		count[string(g)]++
	}
	for i, w := range want {
		switch c := count[string(w)]; c {
		case 1:
		case 0:
			t.Errorf("message %d missing or altered: %.80q", i, w)
		default:
			t.Errorf("message %d present %d times", i, c)
		}
	}
	if len(got) != len(want) {
		t.Errorf("mailbox holds %d messages, want %d", len(got), len(want))
	}
}

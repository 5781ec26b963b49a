package node_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/relay"
)

const testPassword = "correct horse battery staple"

// testNode is a node running inside the test process.
type testNode struct {
	t      testing.TB
	name   string
	db     string
	node   *node.Node // nil for a node in a child process
	addr   envelope.Address
	smtp   string
	imapAt string
	cancel context.CancelFunc
	done   chan error
}

// nodeOpts tweak a test node's configuration.
type nodeOpts struct {
	db     string   // reuse a database directory (restart); default a new temp dir
	peers  []string // mesh peers
	listen bool     // listen for peerings on tcp://127.0.0.1:0
	quiet  bool     // discard the node's log (benchmarks)
	limit  int64    // MaxMessageSize; 0 for the default
	giveUp time.Duration

	relay  *relay.Options     // run the relay role with these options
	relays []envelope.Address // the user's relays
	reach  time.Duration      // ReachTimeout; default 5s in tests
	notify time.Duration      // NotifyAfter; 0 for the default
	expire time.Duration      // relay ExpireInterval; 0 for the default
}

// startNode opens and runs a node on loopback with free ports and waits
// until it is ready. It stops when the test ends.
func startNode(t testing.TB, name string, o nodeOpts) *testNode {
	t.Helper()
	if o.db == "" {
		o.db = t.TempDir()
	}
	cfg := node.Config{
		Database:       o.db,
		SMTPAddr:       "127.0.0.1:0",
		IMAPAddr:       "127.0.0.1:0",
		Peers:          o.peers,
		Logger:         testLogger(t, name),
		MaxMessageSize: o.limit,
		GiveUp:         o.giveUp,
		Relay:          o.relay,
		ReachTimeout:   o.reach,
		NotifyAfter:    o.notify,
		ExpireInterval: o.expire,
	}
	if cfg.ReachTimeout == 0 {
		cfg.ReachTimeout = 5 * time.Second // loopback: a first contact takes up to about 3 s
	}
	for _, r := range o.relays {
		cfg.Relays = append(cfg.Relays, node.RelayRef{Address: r})
	}
	if o.quiet {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if o.listen {
		cfg.Listen = []string{"tcp://127.0.0.1:0"}
	}
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatalf("open node %s: %v", name, err)
	}
	if err := n.SetPassword(testPassword); err != nil {
		t.Fatalf("set password on %s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn := &testNode{t: t, name: name, db: o.db, node: n, addr: n.Address(), cancel: cancel, done: make(chan error, 1)}
	go func() { tn.done <- n.Run(ctx) }()
	select {
	case <-n.Ready():
	case err := <-tn.done:
		t.Fatalf("node %s stopped before it was ready: %v", name, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("node %s not ready after 30s", name)
	}
	tn.smtp, tn.imapAt = n.SMTPAddr(), n.IMAPAddr()
	t.Cleanup(tn.stop)
	return tn
}

// stop shuts the node down in order and closes its database; it is safe
// to call twice.
func (tn *testNode) stop() {
	if tn.cancel == nil {
		return
	}
	tn.cancel()
	tn.cancel = nil
	select {
	case err := <-tn.done:
		if err != nil {
			tn.t.Errorf("node %s: Run returned %v", tn.name, err)
		}
	case <-time.After(30 * time.Second):
		tn.t.Errorf("node %s: Run did not return within 30s of shutdown", tn.name)
	}
	if err := tn.node.Close(); err != nil {
		tn.t.Errorf("node %s: close database: %v", tn.name, err)
	}
}

// meshURL is the URL other nodes use to peer with this one.
func (tn *testNode) meshURL() string {
	tn.t.Helper()
	addrs := tn.node.MeshListenAddrs()
	if len(addrs) == 0 {
		tn.t.Fatalf("node %s has no mesh listener", tn.name)
	}
	return addrs[0]
}

// message builds a small RFC 5322 message.
func message(from, to envelope.Address, subject, body string) []byte {
	return []byte(fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\nDate: %s\r\n\r\n%s",
		from, to, subject, strings.ReplaceAll(subject, " ", "."), time.Now().Format(time.RFC1123Z), body))
}

// send submits one message through the node's SMTP server with AUTH PLAIN.
func (tn *testNode) send(to []envelope.Address, msg []byte) error {
	c, err := smtp.Dial(tn.smtp)
	if err != nil {
		return fmt.Errorf("dial SMTP: %w", err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", tn.addr.String(), testPassword)); err != nil {
		return fmt.Errorf("AUTH: %w", err)
	}
	var rcpts []string
	for _, r := range to {
		rcpts = append(rcpts, r.String())
	}
	if err := c.SendMail(tn.addr.String(), rcpts, bytes.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

// sendMany submits messages to one recipient over one SMTP connection, as
// a mail client with a queue of its own does.
func (tn *testNode) sendMany(to envelope.Address, msgs [][]byte) error {
	c, err := smtp.Dial(tn.smtp)
	if err != nil {
		return fmt.Errorf("dial SMTP: %w", err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", tn.addr.String(), testPassword)); err != nil {
		return fmt.Errorf("AUTH: %w", err)
	}
	for i, msg := range msgs {
		if err := c.SendMail(tn.addr.String(), []string{to.String()}, bytes.NewReader(msg)); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	return c.Quit()
}

// mustSend is send that fails the test on error.
func (tn *testNode) mustSend(to envelope.Address, msg []byte) {
	tn.t.Helper()
	if err := tn.send([]envelope.Address{to}, msg); err != nil {
		tn.t.Fatalf("%s sends: %v", tn.name, err)
	}
}

// imap logs in to the node's IMAP server.
func (tn *testNode) imap() *imapclient.Client {
	tn.t.Helper()
	c, err := imapclient.DialInsecure(tn.imapAt, nil)
	if err != nil {
		tn.t.Fatalf("dial IMAP of %s: %v", tn.name, err)
	}
	tn.t.Cleanup(func() { c.Close() })
	if err := c.Login(tn.addr.String(), testPassword).Wait(); err != nil {
		tn.t.Fatalf("IMAP login to %s: %v", tn.name, err)
	}
	return c
}

// waitInbox waits until INBOX holds want messages and returns their full
// bodies in UID order. It fails the test if more arrive or the deadline
// passes.
func (tn *testNode) waitInbox(want int, within time.Duration) [][]byte {
	tn.t.Helper()
	c := tn.imap()
	deadline := time.Now().Add(within)
	var have uint32
	for {
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			tn.t.Fatalf("STATUS INBOX on %s: %v", tn.name, err)
		}
		have = *st.NumMessages
		if int(have) >= want || time.Now().After(deadline) {
			break
		}
		waitABit(deadline)
	}
	if int(have) != want {
		tn.t.Fatalf("%s INBOX has %d messages, want %d (waited %s)", tn.name, have, want, within)
	}
	return tn.fetchAll(c)
}

// waitABit paces a condition poll: 20 ms, or less near the deadline.
func waitABit(deadline time.Time) {
	d := min(20*time.Millisecond, time.Until(deadline))
	if d > 0 {
		<-time.After(d)
	}
}

func (tn *testNode) fetchAll(c *imapclient.Client) [][]byte {
	tn.t.Helper()
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		tn.t.Fatalf("SELECT INBOX on %s: %v", tn.name, err)
	}
	var all imap.UIDSet
	all.AddRange(1, 0)
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		tn.t.Fatalf("FETCH on %s: %v", tn.name, err)
	}
	var out [][]byte
	for _, m := range msgs {
		out = append(out, m.FindBodySection(section))
	}
	return out
}

// waitOutboxEmpty waits until the node's outbox is empty.
func (tn *testNode) waitOutboxEmpty(within time.Duration) {
	tn.t.Helper()
	deadline := time.Now().Add(within)
	for {
		rows, err := tn.node.Store().Outbox()
		if err != nil {
			tn.t.Fatalf("outbox of %s: %v", tn.name, err)
		}
		if len(rows) == 0 {
			return
		}
		if time.Now().After(deadline) {
			tn.t.Fatalf("%s outbox still holds %d envelopes after %s (first: %s)", tn.name, len(rows), within, rows[0].LastError)
		}
		waitABit(deadline)
	}
}

// assertExactlyOnce checks that every wanted message is present exactly
// once, byte for byte.
func assertExactlyOnce(t testing.TB, got [][]byte, want [][]byte) {
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

// testLogger logs through t.Log while the test runs, and discards after it
// ended (a straggling goroutine must not log into a finished test). With
// -v the node logs show up interleaved with the test's own lines.
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

// waitFor polls cond until it holds, failing the test with what after
// within.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		waitABit(deadline)
	}
}

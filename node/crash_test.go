package node_test

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
	"github.com/yggpost/yggpost/relay"
)

// The crash tests run nodes as child processes (this test binary re-executed
// with YGGPOST_CHILD_NODE set) so that they can be killed with SIGKILL.
const childEnv = "YGGPOST_CHILD_NODE"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChildNode())
	}
	flag.Parse()
	widenParallel()
	os.Exit(m.Run())
}

// widenParallel lets up to four parallel tests per CPU run at once unless
// -test.parallel was given. The scenario tests spend most of their time
// waiting on the mesh, on retries and on timers, not on the CPU: the whole
// package uses about a quarter of one core, so the default of one test per
// CPU leaves the machine idle. The crash tests run serially before any
// parallel test starts.
func widenParallel() {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", strconv.Itoa(4*runtime.GOMAXPROCS(0)))
	}
}

// runChildNode runs one node configured from the environment and prints
// "READY <address> <smtp> <imap>" once it serves; a relay then prints
// "RELAY" status lines (printRelayStatus).
func runChildNode() int {
	cfg, err := childConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	n, err := node.Open(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	if err := n.SetPassword(nodetest.Password); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM) // childNode.stop
	defer stop()
	go func() {
		select {
		case <-n.Ready():
		case <-ctx.Done():
			return
		}
		fmt.Printf("READY %s %s %s\n", n.Address(), n.SMTPAddr(), n.IMAPAddr())
		if cfg.Relay != nil {
			printRelayStatus(ctx, n)
		}
	}()
	if err := n.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// childConfig reads a child node's configuration from the environment:
// CHILD_DB, CHILD_SMTP, CHILD_IMAP, and optionally CHILD_LISTEN and
// CHILD_PEER (one mesh URL each), CHILD_RELAY=1 (the relay role, open
// membership, forwarding on), CHILD_RELAYS (comma-separated relay
// addresses) and CHILD_REACH (ReachTimeout, a Go duration).
func childConfig() (node.Config, error) {
	cfg := node.Config{
		Database: os.Getenv("CHILD_DB"),
		SMTPAddr: os.Getenv("CHILD_SMTP"),
		IMAPAddr: os.Getenv("CHILD_IMAP"),
		Logger:   slogToStderr(),
	}
	if l := os.Getenv("CHILD_LISTEN"); l != "" {
		cfg.Listen = []string{l}
	}
	if p := os.Getenv("CHILD_PEER"); p != "" {
		cfg.Peers = []string{p}
	}
	if os.Getenv("CHILD_RELAY") == "1" {
		cfg.Relay = &relay.Options{Policy: relay.PolicyOpen, Forward: true}
	}
	if list := os.Getenv("CHILD_RELAYS"); list != "" {
		for _, s := range strings.Split(list, ",") {
			ref, err := node.ParseRelayRef(s)
			if err != nil {
				return cfg, fmt.Errorf("CHILD_RELAYS: %w", err)
			}
			cfg.Relays = append(cfg.Relays, ref)
		}
	}
	if r := os.Getenv("CHILD_REACH"); r != "" {
		d, err := time.ParseDuration(r)
		if err != nil {
			return cfg, fmt.Errorf("CHILD_REACH %q: %w", r, err)
		}
		cfg.ReachTimeout = d
	}
	return cfg, nil
}

// relayStatusInterval is how often a child relay looks at its figures.
const relayStatusInterval = 2 * time.Millisecond

// ioStep is how far the child's I/O counters move before a status line is
// printed for that alone: fine enough to see a 200 KiB transfer half done.
const ioStep = 16 << 10

// childStatus is what a child relay prints about itself: the relay's
// figures, and the bytes the process has read and written (rchar and
// wchar of /proc/self/io, -1 where that is missing), which show a
// deposit or a hand-over in progress before the relay's figures change.
type childStatus struct {
	relay.Status
	Read, Written int64
	// Filled in by the reader of the lines: how far Read and Written moved
	// since the relay's figures last changed.
	ReadSince, WrittenSince int64
}

// printRelayStatus prints a status line at once and again each time the
// relay's figures change or the I/O counters moved by ioStep, until ctx
// ends.
func printRelayStatus(ctx context.Context, n *node.Node) {
	t := time.NewTicker(relayStatusInterval)
	defer t.Stop()
	var last childStatus
	printed := false
	for {
		if st, ok := n.RelayStatus(); ok {
			cur := childStatus{Status: st}
			cur.Read, cur.Written = processIO()
			if !printed || cur.Status != last.Status || cur.Read-last.Read >= ioStep || cur.Written-last.Written >= ioStep {
				fmt.Println(cur.line())
				last, printed = cur, true
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// processIO returns the bytes this process read and wrote through system
// calls (files and sockets alike), or -1, -1 without /proc/self/io.
func processIO() (read, written int64) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1, -1
	}
	read, written = -1, -1
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, ": ")
		switch k {
		case "rchar":
			fmt.Sscan(v, &read)
		case "wchar":
			fmt.Sscan(v, &written)
		}
	}
	return read, written
}

// statusFormat is the form of a child relay's status line.
const statusFormat = "RELAY members=%d envelopes=%d deposits=%d duplicates=%d handovers=%d read=%d written=%d"

func (st childStatus) line() string {
	return fmt.Sprintf(statusFormat, st.Members, st.Envelopes, st.Deposits, st.Duplicates, st.HandOvers, st.Read, st.Written)
}

// String is the relay's figures, for test logs.
func (st childStatus) String() string {
	return fmt.Sprintf("members=%d envelopes=%d deposits=%d duplicates=%d handovers=%d",
		st.Members, st.Envelopes, st.Deposits, st.Duplicates, st.HandOvers)
}

// parseStatusLine reads a line printed by childStatus.line.
func parseStatusLine(line string) (childStatus, error) {
	var st childStatus
	_, err := fmt.Sscanf(line, statusFormat, &st.Members, &st.Envelopes, &st.Deposits, &st.Duplicates, &st.HandOvers, &st.Read, &st.Written)
	if err != nil {
		return st, fmt.Errorf("relay status line %q: %w", line, err)
	}
	return st, nil
}

// childNode is a node in a child process.
type childNode struct {
	t      *testing.T
	name   string
	env    []string
	cmd    *exec.Cmd
	addr   envelope.Address
	smtp   string
	imap   string
	exited chan struct{}

	// The latest status line of a child relay since its last start, and a
	// kick (buffer one) sent each time a new one arrives.
	mu       sync.Mutex
	status   *childStatus
	changed  childStatus // the line where the relay's figures last changed
	statusCh chan struct{}
}

func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// newChild prepares a child node with fixed ports so it can be restarted
// at the same addresses.
func newChild(t *testing.T, name, listen, peer string) *childNode {
	env := []string{childEnv + "=1", "CHILD_DB=" + t.TempDir(),
		"CHILD_SMTP=" + freeLoopbackPort(t), "CHILD_IMAP=" + freeLoopbackPort(t)}
	if listen != "" {
		env = append(env, "CHILD_LISTEN="+listen)
	}
	if peer != "" {
		env = append(env, "CHILD_PEER="+peer)
	}
	return &childNode{t: t, name: name, env: env}
}

// with adds environment settings (see childConfig) for the child's next
// start.
func (c *childNode) with(kv ...string) *childNode {
	c.env = append(c.env, kv...)
	return c
}

// start runs the child and waits for its READY line.
func (c *childNode) start() {
	c.t.Helper()
	c.cmd = exec.Command(os.Args[0], "-test.run=^$")
	c.cmd.Env = append(os.Environ(), c.env...)
	c.cmd.Stderr = &prefixWriter{t: c.t, name: c.name}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		c.t.Fatalf("start %s: %v", c.name, err)
	}
	c.exited = make(chan struct{})
	cmd := c.cmd
	exited := c.exited
	c.t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	c.mu.Lock()
	c.status, c.statusCh = nil, make(chan struct{}, 1)
	c.mu.Unlock()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.readLine(sc.Text(), ready)
		}
		cmd.Wait()
		close(exited)
	}()
	select {
	case line := <-ready:
		f := strings.Fields(line)
		a, err := envelope.ParseAddress(f[1])
		if err != nil {
			c.t.Fatalf("%s READY line %q: %v", c.name, line, err)
		}
		c.addr, c.smtp, c.imap = a, f[2], f[3]
	case <-exited:
		c.t.Fatalf("%s exited before it was ready", c.name)
	case <-time.After(30 * time.Second):
		c.t.Fatalf("%s not ready within 30s", c.name)
	}
}

// readLine takes in one line of the child's standard output.
func (c *childNode) readLine(line string, ready chan<- string) {
	switch {
	case strings.HasPrefix(line, "READY "):
		ready <- line
	case strings.HasPrefix(line, "RELAY "):
		st, err := parseStatusLine(line)
		if err != nil {
			c.t.Errorf("%s: %v", c.name, err)
			return
		}
		c.mu.Lock()
		if c.status == nil || c.status.Status != st.Status {
			c.changed = st
		}
		st.ReadSince, st.WrittenSince = st.Read-c.changed.Read, st.Written-c.changed.Written
		c.status = &st
		kick := c.statusCh
		c.mu.Unlock()
		select {
		case kick <- struct{}{}:
		default:
		}
	}
}

// relayStatus returns the child relay's latest figures, and false before
// its first status line since it started.
func (c *childNode) relayStatus() (childStatus, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status == nil {
		return childStatus{}, false
	}
	return *c.status, true
}

// waitRelay waits until the child relay's figures satisfy cond and returns
// them; it fails the test after within, or if the child exits.
func (c *childNode) waitRelay(within time.Duration, what string, cond func(childStatus) bool) childStatus {
	c.t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	c.mu.Lock()
	kick := c.statusCh
	c.mu.Unlock()
	for {
		if st, ok := c.relayStatus(); ok && cond(st) {
			return st
		}
		select {
		case <-kick:
		case <-c.exited:
			c.t.Fatalf("%s exited while waiting for %s", c.name, what)
		case <-deadline.C:
			st, _ := c.relayStatus()
			c.t.Fatalf("%s: no %s within %s (last: %s)", c.name, what, within, st)
		}
	}
}

// stop sends SIGTERM, on which the child node shuts down in order, and
// waits for the process to be gone.
func (c *childNode) stop() {
	c.t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		c.t.Fatalf("stop %s: %v", c.name, err)
	}
	<-c.exited
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *childNode) kill() {
	c.t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill %s: %v", c.name, err)
	}
	<-c.exited
}

func (c *childNode) dbDir() string {
	for _, e := range c.env {
		if v, ok := strings.CutPrefix(e, "CHILD_DB="); ok {
			return v
		}
	}
	return ""
}

// inboxCount returns how many messages the child's INBOX holds, via IMAP.
func (c *childNode) inboxCount() int {
	cl, err := imapclient.DialInsecure(c.imap, nil)
	if err != nil {
		return -1
	}
	defer cl.Close()
	if err := cl.Login(c.addr.String(), nodetest.Password).Wait(); err != nil {
		return -1
	}
	st, err := cl.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return -1
	}
	return int(*st.NumMessages)
}

// waitInboxAtLeast polls until the INBOX holds at least n messages.
func (c *childNode) waitInboxAtLeast(n int, within time.Duration) int {
	c.t.Helper()
	var have int
	if !testkit.Poll(within, func() bool { have = c.inboxCount(); return have >= n }) {
		c.t.Fatalf("%s INBOX has %d messages, want at least %d within %s", c.name, have, n, within)
	}
	return have
}

// client gives the child's SMTP and IMAP endpoints the in-process helpers.
func (c *childNode) client() *nodetest.Node {
	return &nodetest.Node{T: c.t, Name: c.name, Addr: c.addr, SMTPAddr: c.smtp, IMAPAddr: c.imap}
}

func slogToStderr() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// TestKillNineLosesNothing kills the sending node in the middle of a burst,
// then the receiving node in the middle of receiving; after restarts every
// message SMTP accepted is in the recipient's INBOX exactly once.
func TestKillNineLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills node processes")
	}
	bob, alice := startPair(t)

	// A body large enough that a burst takes a while on the wire.
	filler := strings.Repeat(strings.Repeat("0123456789abcdef", 4)+"\r\n", 4<<10) // 264 KiB in 66-byte lines
	var want [][]byte
	sendBatch := func(first, n int) {
		var batch [][]byte
		for i := first; i < first+n; i++ {
			batch = append(batch, nodetest.Message(alice.addr, bob.addr, fmt.Sprintf("crash test %d", i), fmt.Sprintf("number %d\r\n%s", i, filler)))
		}
		if err := alice.client().SendMany(bob.addr, batch); err != nil {
			t.Fatalf("send batch: %v", err)
		}
		want = append(want, batch...)
	}

	// 1. Kill -9 the sender once delivery has started.
	sendBatch(0, 30)
	got := bob.waitInboxAtLeast(1, 60*time.Second)
	alice.kill()
	t.Logf("sender killed: recipient had %d of %d, sender's outbox held %d", got, len(want), outboxLen(t, alice.dbDir()))
	alice.start()

	// 2. Kill -9 the receiver in the middle of receiving a second burst.
	before := bob.waitInboxAtLeast(len(want), 90*time.Second)
	sendBatch(30, 30)
	got = bob.waitInboxAtLeast(before+1, 60*time.Second)
	bob.kill()
	t.Logf("receiver killed: it had %d of %d", got, len(want))
	bob.start()

	nodetest.AssertExactlyOnce(t, bob.client().WaitInbox(len(want), 90*time.Second), want)
}

// startPair starts two child nodes: bob, listening on the mesh, and
// alice, peered with him.
func startPair(t *testing.T) (bob, alice *childNode) {
	t.Helper()
	bobMesh := "tcp://" + freeLoopbackPort(t)
	bob = newChild(t, "bob", bobMesh, "")
	bob.start()
	alice = newChild(t, "alice", "", bobMesh)
	alice.start()
	return bob, alice
}

// outboxLen opens a stopped child's database and counts its outbox.
func outboxLen(t *testing.T, db string) int { return len(outboxRows(t, db)) }

// outboxRows opens a stopped child's database and reads its outbox.
func outboxRows(t *testing.T, db string) []mailbox.Outbound {
	t.Helper()
	s, err := mailbox.Open(db, mailbox.Options{})
	if err != nil {
		t.Fatalf("open %s after kill: %v", db, err)
	}
	defer s.Close()
	rows, err := s.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

type prefixWriter struct {
	t    *testing.T
	name string
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Logf("%s: %s", w.name, line)
	}
	return len(p), nil
}

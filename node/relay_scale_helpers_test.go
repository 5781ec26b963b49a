package node_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/control"
	"github.com/yggpost/yggpost/node/nodetest"
	"github.com/yggpost/yggpost/relay"
)

// The parts of BenchmarkRelayScale: the relay as a yggpost process, the
// member processes (this test binary re-executed), and the relay's store
// filled for many members before it starts.

// prefillRelayMembers opens the relay store of the stopped relay node in
// relayDB with the relay's own key, registers every member and deposits
// perMember sealed 1 KiB messages for each, sealed by the senders in turn,
// from 16 goroutines. It returns the
// messages each member should receive, in the order of members.
func prefillRelayMembers(b *testing.B, relayDB string, relayKey ed25519.PrivateKey, senders, members []ed25519.PrivateKey, perMember int) [][][]byte {
	b.Helper()
	opts := *benchRelayOptions()
	opts.Key = relayKey
	r, err := relay.Open(filepath.Join(relayDB, "relay"), opts)
	if err != nil {
		b.Fatalf("open relay store: %v", err)
	}
	defer r.Close()
	relayAddr := keyAddress(b, relayKey)
	want := make([][][]byte, len(members))
	for m, key := range members {
		reg, err := relay.NewRegistration(key, relayAddr, time.Now(), "")
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Register(reg); err != nil {
			b.Fatalf("register member %d: %v", m, err)
		}
		want[m] = make([][]byte, perMember)
	}
	total := len(members) * perMember
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < total; i = int(next.Add(1)) - 1 {
				m, k := i/perMember, i%perMember
				senderKey := senders[i%len(senders)]
				from, to := keyAddress(b, senderKey), keyAddress(b, members[m])
				want[m][k] = nodetest.Message(from, to, fmt.Sprintf("member %d pending %d", m, k), strings.Repeat("p", 1024)+"\r\n")
				var sealed bytes.Buffer
				if _, err := envelope.Seal(&sealed, senderKey, to, envelope.NewID(), time.Now(), bytes.NewReader(want[m][k])); err != nil {
					b.Errorf("seal %d for member %d: %v", k, m, err)
					return
				}
				if _, err := r.Deposit(from, int64(sealed.Len()), &sealed); err != nil {
					b.Errorf("deposit %d for member %d: %v", k, m, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	if st := r.Status(); st.Envelopes != total || st.Members != len(members) {
		b.Fatalf("relay store holds %d envelopes for %d members after the fill, want %d for %d", st.Envelopes, st.Members, total, len(members))
	}
	return want
}

// buildYggpost builds cmd/yggpost into dir and returns the binary's path.
func buildYggpost(b *testing.B, dir string) string {
	b.Helper()
	bin := filepath.Join(dir, "yggpost")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "github.com/yggpost/yggpost/cmd/yggpost")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build cmd/yggpost: %v\n%s", err, out)
	}
	return bin
}

// loopbackAddr returns a loopback TCP address that was free a moment ago.
func loopbackAddr(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// relayProcess is a relay node running as a yggpost process of its own, so
// that its CPU time and memory are its own.
type relayProcess struct {
	b      *testing.B
	db     string
	logs   string // its standard error
	cmd    *exec.Cmd
	exited chan struct{}
}

// startRelayProcess runs bin as an open relay on db that accepts peerings
// on listen, and waits until its control socket answers.
func startRelayProcess(b *testing.B, bin, db, listen string) *relayProcess {
	b.Helper()
	rp := &relayProcess{b: b, db: db, logs: filepath.Join(b.TempDir(), "relay.log"), exited: make(chan struct{})}
	logFile, err := os.Create(rp.logs)
	if err != nil {
		b.Fatal(err)
	}
	defer logFile.Close()
	rp.cmd = exec.Command(bin, "-database", db, "-relay", "-listen", "tcp://"+listen,
		"-smtp", "127.0.0.1:0", "-imap", "127.0.0.1:0")
	rp.cmd.Stdout, rp.cmd.Stderr = logFile, logFile
	if err := rp.cmd.Start(); err != nil {
		b.Fatalf("start the relay process: %v", err)
	}
	go func() { rp.cmd.Wait(); close(rp.exited) }()
	b.Cleanup(rp.stop)
	waitUntil(b, time.Minute, "the relay process to answer on its control socket", func() bool {
		select {
		case <-rp.exited:
			b.Fatalf("the relay process exited before it was ready: %s\n%s", rp.cmd.ProcessState, rp.logTail())
		default:
		}
		_, err := rp.call()
		return err == nil
	})
	return rp
}

// call asks the relay process for its status.
func (rp *relayProcess) call() (node.Status, error) {
	var st node.Status
	out, err := control.Call(rp.db, control.Request{Command: "status"})
	if err != nil {
		return st, err
	}
	defer out.Close()
	if err := json.NewDecoder(out).Decode(&st); err != nil {
		return st, fmt.Errorf("decode the relay's status: %w", err)
	}
	if st.Relay == nil {
		return st, errors.New("the relay process runs no relay")
	}
	return st, nil
}

// status is the relay's figures now.
func (rp *relayProcess) status() relay.Status {
	rp.b.Helper()
	st, err := rp.call()
	if err != nil {
		rp.b.Fatalf("relay status: %v", err)
	}
	return *st.Relay
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times;
// it is 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpu is the relay process's CPU time so far, user and system.
func (rp *relayProcess) cpu() time.Duration {
	rp.b.Helper()
	return processCPU(rp.b, rp.cmd.Process.Pid)
}

// processCPU is the CPU time of process pid so far, user and system.
func processCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("read the CPU time of process %d: %v", pid, err)
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces, start with the third: utime is the 14th, stime the 15th.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat %q: %v %v", pid, stat, err1, err2)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// resetPeakRSS resets the relay process's resident-memory high-water mark.
func (rp *relayProcess) resetPeakRSS() {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", rp.cmd.Process.Pid), []byte("5"), 0)
}

// memory returns the relay process's peak and current resident memory in
// bytes (VmHWM, VmRSS).
func (rp *relayProcess) memory() (peak, now int64) {
	rp.b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", rp.cmd.Process.Pid))
	if err != nil {
		rp.b.Fatalf("read the relay's memory: %v", err)
	}
	kb := func(field string) int64 {
		for l := range strings.SplitSeq(string(status), "\n") {
			if rest, ok := strings.CutPrefix(l, field+":"); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				return n << 10
			}
		}
		return 0
	}
	return kb("VmHWM"), kb("VmRSS")
}

// stop ends the relay process with SIGTERM, as a service manager does, and
// waits for it; it is safe to call twice.
func (rp *relayProcess) stop() {
	select {
	case <-rp.exited:
		return
	default:
	}
	rp.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-rp.exited:
		if !rp.cmd.ProcessState.Success() {
			rp.b.Errorf("the relay process ended with %s\n%s", rp.cmd.ProcessState, rp.logTail())
		}
	case <-time.After(time.Minute):
		rp.cmd.Process.Kill()
		<-rp.exited
		rp.b.Errorf("the relay process did not stop within a minute of SIGTERM")
	}
}

// complaints returns up to max lines of the relay's log at level WARN or
// ERROR, and how many there are in all.
func (rp *relayProcess) complaints(max int) ([]string, int) {
	logs, _ := os.ReadFile(rp.logs)
	var lines []string
	count := 0
	for l := range strings.SplitSeq(string(logs), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			if count++; len(lines) < max {
				lines = append(lines, l)
			}
		}
	}
	return lines, count
}

// logTail is the end of the relay's log.
func (rp *relayProcess) logTail() string {
	logs, _ := os.ReadFile(rp.logs)
	return string(logs[max(0, len(logs)-4000):])
}

// memberProcEnv names the file that configures a member process.
const memberProcEnv = "YGGPOST_RELAYSCALE_MEMBERS"

// memberProcConfig is what a member process runs: its members, each
// started Offset after the start time it reads on standard input, all
// with the one relay as peer and as relay.
type memberProcConfig struct {
	RelayURL  string
	RelayAddr envelope.Address
	Pending   int // messages each member collects
	Members   []scaleMember
}

// scaleMember is one member: its number in the benchmark, its database and
// when it comes online.
type scaleMember struct {
	Index  int
	DB     string
	Offset time.Duration
}

// scaleEventNames are the events a member process reports of a member.
var scaleEventNames = []string{"started", "session", "first", "collected"}

// scaleEvent is one line of a member process: what happened to which
// member when (one of scaleEventNames), or the process's exit.
type scaleEvent struct {
	What   string
	Member int
	At     time.Time
	Exit   error // for What "exited"
}

// memberProcess is this test binary re-executed to run some of the members
// (TestRelayScaleMembers).
type memberProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	output bytes.Buffer // lines that are not events, for a failure
	mu     sync.Mutex
	exited chan struct{}
}

// startMemberProcess starts a member process for cfg and waits until it
// has read its configuration; its events go to events.
func startMemberProcess(b *testing.B, name string, cfg memberProcConfig, events chan<- scaleEvent) *memberProcess {
	b.Helper()
	path := filepath.Join(b.TempDir(), name+".json")
	data, err := json.Marshal(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	mp := &memberProcess{exited: make(chan struct{})}
	mp.cmd = exec.Command(os.Args[0], "-test.run=^TestRelayScaleMembers$", "-test.count=1")
	mp.cmd.Env = append(os.Environ(), memberProcEnv+"="+path)
	mp.cmd.Stderr = &mp.output
	out, err := mp.cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if mp.stdin, err = mp.cmd.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	if err := mp.cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", name, err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			mp.readLine(sc.Text(), ready, events)
		}
		err := mp.cmd.Wait()
		close(mp.exited)
		events <- scaleEvent{What: "exited", Exit: err}
	}()
	b.Cleanup(func() { mp.stdin.Close(); mp.cmd.Process.Kill(); <-mp.exited })
	select {
	case <-ready:
	case <-mp.exited:
		b.Fatalf("%s exited before it was ready:\n%s", name, mp.tail())
	case <-time.After(time.Minute):
		b.Fatalf("%s not ready within a minute", name)
	}
	return mp
}

// readLine takes one line of a member process's output: READY, an event
// "<what> <member> <unix nanoseconds>", or anything else, kept.
func (mp *memberProcess) readLine(line string, ready chan struct{}, events chan<- scaleEvent) {
	if line == "READY" {
		close(ready)
		return
	}
	f := strings.Fields(line)
	if len(f) == 3 && slices.Contains(scaleEventNames, f[0]) {
		m, err1 := strconv.Atoi(f[1])
		ns, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 == nil && err2 == nil {
			events <- scaleEvent{What: f[0], Member: m, At: time.Unix(0, ns)}
			return
		}
	}
	mp.mu.Lock()
	defer mp.mu.Unlock()
	mp.output.WriteString(line + "\n")
}

// begin tells the member process the start time its offsets count from.
func (mp *memberProcess) begin(b *testing.B, start time.Time) {
	b.Helper()
	if _, err := fmt.Fprintf(mp.stdin, "%d\n", start.UnixNano()); err != nil {
		b.Fatalf("start the members: %v", err)
	}
}

// stop closes the member process's standard input, on which it stops its
// nodes and exits, and waits for that.
func (mp *memberProcess) stop(b *testing.B) {
	b.Helper()
	mp.stdin.Close()
	select {
	case <-mp.exited:
		if !mp.cmd.ProcessState.Success() {
			b.Errorf("a member process ended with %s:\n%s", mp.cmd.ProcessState, mp.tail())
		}
	case <-time.After(2 * time.Minute):
		b.Errorf("a member process did not stop within 2 minutes")
	}
}

// tail is the end of what the member process wrote besides its events.
func (mp *memberProcess) tail() string {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	out := mp.output.String()
	return out[max(0, len(out)-4000):]
}

// collectObserver tells a member process's events of one member: the
// first relay session, the first message stored and the message that
// completes its collection.
type collectObserver struct {
	member  int
	want    int
	report  func(what string, member int)
	stored  atomic.Int64
	session atomic.Bool
}

func (o *collectObserver) MessageStored(mb string, _ uint32, _ envelope.Address) {
	if mb != mailbox.Inbox {
		return
	}
	switch o.stored.Add(1) {
	case 1:
		o.report("first", o.member)
	case int64(o.want):
		o.report("collected", o.member)
	}
}

func (o *collectObserver) MessageOutcome(envelope.Address, string, envelope.ID, node.Outcome) {}

func (o *collectObserver) Connectivity(_, relays int) {
	if relays > 0 && o.session.CompareAndSwap(false, true) {
		o.report("session", o.member)
	}
}

// readMemberInbox reads every message in the INBOX of the stopped member
// node on db.
func readMemberInbox(b *testing.B, db string) [][]byte {
	b.Helper()
	store, err := mailbox.Open(db, mailbox.Options{})
	if err != nil {
		b.Fatalf("open member store %s: %v", db, err)
	}
	defer store.Close()
	msgs, err := store.Messages(mailbox.Inbox)
	if err != nil {
		b.Fatalf("list INBOX of %s: %v", db, err)
	}
	var got [][]byte
	for _, m := range msgs {
		rc, err := store.OpenMessage(mailbox.Inbox, m.UID)
		if err != nil {
			b.Fatalf("open message %d in %s: %v", m.UID, db, err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			b.Fatalf("read message %d in %s: %v", m.UID, db, err)
		}
		got = append(got, body)
	}
	return got
}

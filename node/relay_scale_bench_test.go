package node_test

import (
	"bufio"
	"cmp"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
)

// BenchmarkRelayScale: a community relay whose members all come online
// within a minute, each to envelopes the relay held for it while it was
// away. Figures are in docs/performance.md ("A relay at community scale").
//
// How it is built:
//   - The relay is a yggpost process of its own (cmd/yggpost, built once per
//     run), so that its CPU time (/proc/PID/stat, user + system) and its peak
//     resident memory (VmHWM, reset once the relay is ready) are its alone.
//     Its database is made and filled before it starts, as
//     BenchmarkRelayHandOver10k does: each member's node database is created
//     (so the member has its key), then the relay store is opened with the
//     relay's key, every member registered with a signed registration and
//     -relayscale.pending envelopes of 1 KiB deposited for each, sealed by
//     one of eight senders in turn. The senders never come online, so the
//     members' delivery receipts go back through the relay for forwarding,
//     as they would.
//   - The members are full nodes (Yggdrasil, relay sessions, Badger stores),
//     spread over member processes (this test binary re-executed, running
//     TestRelayScaleMembers), at most -relayscale.perproc per process: one
//     process with 200 nodes and 200 stores spends much of its time in the
//     garbage collector. Each member peers with the relay over loopback TCP
//     and has it as its relay. Member i starts i*spread/(members-1) after
//     a common start time, so starts are evenly spread over
//     -relayscale.spread.
//   - A member process reports when each member started, when its first
//     relay session opened and when the message that completes its
//     collection was stored (the node's Observer). The relay's time is from
//     the first member's start to the last of those; its CPU time is
//     counted over that span and until the relay holds nothing more for its
//     members.
//   - Afterwards, with every node stopped, each member's store is read:
//     its INBOX must hold exactly its messages, each once and byte for
//     byte; the relay must hold nothing more for members and have counted
//     one hand-over per envelope.
//
// All processes share the machine's cores: the relay's wall time includes
// waiting for members that compete with it for the CPU.
//
// Run it with, for example:
//
//	go test -run '^$' -bench RelayScale -benchtime 1x ./node -relayscale.members 200 -relayscale.spread 45s
func BenchmarkRelayScale(b *testing.B) {
	n, pending := *scaleMembers, *scalePending
	if n < 2 || pending < 1 {
		b.Fatalf("-relayscale.members %d -relayscale.pending %d: want at least 2 members and 1 envelope", n, pending)
	}
	bin := buildYggpost(b, b.TempDir())
	var sum scaleFigures
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		f := runRelayScale(b, bin, n, pending)
		sum.add(f)
		b.Logf("%d members: %s", n, f)
	}
	runs := float64(b.N)
	b.ReportMetric(sum.total.Seconds()/runs, "s-to-all")
	b.ReportMetric(sum.cpu.Seconds()/runs, "relay-cpu-s")
	b.ReportMetric(sum.cpuSettled.Seconds()/runs, "relay-cpu-s-settled")
	b.ReportMetric(float64(sum.peakRSS)/runs/(1<<20), "relay-peak-RSS-MB")
	b.ReportMetric(sum.waitMedian.Seconds()/runs, "member-wait-p50-s")
	b.ReportMetric(sum.waitMax.Seconds()/runs, "member-wait-max-s")
	b.ReportMetric(float64(n*pending)*runs/sum.total.Seconds(), "msgs/s")
	b.ReportMetric(sum.membersCPU.Seconds()/runs, "members-cpu-s")
}

var (
	scaleMembers = flag.Int("relayscale.members", 20, "BenchmarkRelayScale: members of the relay")
	scalePending = flag.Int("relayscale.pending", 50, "BenchmarkRelayScale: envelopes of 1 KiB pending for each member")
	scaleSpread  = flag.Duration("relayscale.spread", 10*time.Second, "BenchmarkRelayScale: the members' starts are spread evenly over this")
	scalePerProc = flag.Int("relayscale.perproc", 50, "BenchmarkRelayScale: members per member process")
	scaleWithin  = flag.Duration("relayscale.within", 4*time.Minute, "BenchmarkRelayScale: how long after the last start every member must have collected")
)

// scaleFigures are one run's results.
type scaleFigures struct {
	total      time.Duration // first member start to last envelope stored
	cpu        time.Duration // the relay's CPU time over total
	cpuSettled time.Duration // the same until it holds nothing for members
	peakRSS    int64         // the relay's, from its start on
	idleRSS    int64         // the relay's when ready, before the members
	waitMedian time.Duration // a member's start to its last envelope
	waitMax    time.Duration
	session    time.Duration // a member's start to its first relay session, median
	membersCPU time.Duration // the member processes' CPU time over total
}

func (f *scaleFigures) add(g scaleFigures) {
	f.total += g.total
	f.cpu += g.cpu
	f.cpuSettled += g.cpuSettled
	f.peakRSS += g.peakRSS
	f.idleRSS += g.idleRSS
	f.waitMedian += g.waitMedian
	f.waitMax += g.waitMax
	f.session += g.session
	f.membersCPU += g.membersCPU
}

func (f scaleFigures) String() string {
	return fmt.Sprintf("all collected %.1fs after the first start; relay CPU %.1fs (%.1fs until settled), RSS %.0f MB ready, %.0f MB peak; member waits median %.1fs, max %.1fs; first relay session median %.1fs; member processes' CPU %.1fs",
		f.total.Seconds(), f.cpu.Seconds(), f.cpuSettled.Seconds(), float64(f.idleRSS)/(1<<20), float64(f.peakRSS)/(1<<20),
		f.waitMedian.Seconds(), f.waitMax.Seconds(), f.session.Seconds(), f.membersCPU.Seconds())
}

// runRelayScale runs one round with n members and returns its figures.
func runRelayScale(b *testing.B, bin string, n, pending int) scaleFigures {
	relayDB := b.TempDir()
	relayKey := nodeKey(b, relayDB)
	memberDBs := make([]string, n)
	memberKeys := make([]ed25519.PrivateKey, n)
	for i := range n {
		memberDBs[i] = b.TempDir()
		memberKeys[i] = nodeKey(b, memberDBs[i])
	}
	senders := make([]ed25519.PrivateKey, 8)
	for i := range senders {
		senders[i] = ed25519.NewKeyFromSeed(slices.Repeat([]byte{0xa0 + byte(i)}, ed25519.SeedSize))
	}
	want := prefillRelayMembers(b, relayDB, relayKey, senders, memberKeys, pending)

	listen := loopbackAddr(b)
	rp := startRelayProcess(b, bin, relayDB, listen)
	if st := rp.status(); st.Envelopes != n*pending || st.Members != n {
		b.Fatalf("relay process holds %d envelopes for %d members, want %d for %d", st.Envelopes, st.Members, n*pending, n)
	}
	events := make(chan scaleEvent, 5*n)
	procs := startMemberProcesses(b, n, memberDBs, "tcp://"+listen, keyAddress(b, relayKey), pending, events)

	var f scaleFigures
	_, f.idleRSS = rp.memory()
	rp.resetPeakRSS()
	cpu0, membersCPU0 := rp.cpu(), membersCPU(b, procs)
	start := time.Now().Add(time.Second)
	for _, mp := range procs {
		mp.begin(b, start)
	}
	times := collectEvents(b, n, len(procs), events)
	f.cpu = rp.cpu() - cpu0
	f.membersCPU = membersCPU(b, procs) - membersCPU0
	waitUntil(b, time.Minute, "the relay to hold nothing more for its members", func() bool {
		st := rp.status()
		return st.Envelopes-st.Forwarding == 0
	})
	f.cpuSettled = rp.cpu() - cpu0
	f.peakRSS, _ = rp.memory()
	st := rp.status()
	if lines, count := rp.complaints(5); count > 0 {
		b.Logf("the relay logged %d warnings or errors; the first: %s", count, strings.Join(lines, "\n"))
	}
	for _, mp := range procs {
		mp.stop(b)
	}
	rp.stop()
	if st.HandOvers != uint64(n*pending) {
		b.Errorf("relay counted %d hand-overs, want %d", st.HandOvers, n*pending)
	}
	for i, db := range memberDBs {
		nodetest.AssertExactlyOnce(b, readMemberInbox(b, db), want[i])
	}
	times.figures(&f)
	times.logSlowest(b, 3)
	return f
}

// membersCPU is the CPU time of the member processes so far.
func membersCPU(b *testing.B, procs []*memberProcess) time.Duration {
	var sum time.Duration
	for _, mp := range procs {
		sum += processCPU(b, mp.cmd.Process.Pid)
	}
	return sum
}

// startMemberProcesses spreads the n members over processes of at most
// -relayscale.perproc, member i starting i*spread/(n-1) after the start.
func startMemberProcesses(b *testing.B, n int, dbs []string, relayURL string, relayAddr envelope.Address, pending int, events chan<- scaleEvent) []*memberProcess {
	b.Helper()
	count := (n + *scalePerProc - 1) / *scalePerProc
	cfgs := make([]memberProcConfig, count)
	for i := range n {
		c := &cfgs[i%count]
		offset := *scaleSpread * time.Duration(i) / time.Duration(n-1)
		c.Members = append(c.Members, scaleMember{Index: i, DB: dbs[i], Offset: offset})
	}
	var procs []*memberProcess
	for i, cfg := range cfgs {
		cfg.RelayURL, cfg.RelayAddr, cfg.Pending = relayURL, relayAddr, pending
		procs = append(procs, startMemberProcess(b, fmt.Sprintf("members-%d", i), cfg, events))
	}
	return procs
}

// scaleTimes are the members' events, by member.
type scaleTimes struct {
	started, session, first, collected []time.Time
}

// collectEvents reads the member processes' events until every one of the
// n members has collected, and fails on a member process that exits first.
func collectEvents(b *testing.B, n, procs int, events <-chan scaleEvent) scaleTimes {
	b.Helper()
	t := scaleTimes{make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)}
	deadline := time.After(*scaleSpread + *scaleWithin)
	for done := 0; done < n; {
		select {
		case ev := <-events:
			switch ev.What {
			case "started":
				t.started[ev.Member] = ev.At
			case "session":
				t.session[ev.Member] = ev.At
			case "first":
				t.first[ev.Member] = ev.At
			case "collected":
				if !t.collected[ev.Member].IsZero() {
					b.Errorf("member %d reported its collection twice", ev.Member)
				}
				t.collected[ev.Member] = ev.At
				done++
			case "exited":
				b.Fatalf("a member process exited while members were collecting: %v", ev.Exit)
			}
		case <-deadline:
			b.Fatalf("after %s, %d of %d members have collected", *scaleSpread+*scaleWithin, done, n)
		}
	}
	return t
}

// figures fills in the times of f.
func (t scaleTimes) figures(f *scaleFigures) {
	first, last := slices.MinFunc(t.started, time.Time.Compare), slices.MaxFunc(t.collected, time.Time.Compare)
	f.total = last.Sub(first)
	waits := make([]time.Duration, len(t.started))
	sessions := make([]time.Duration, len(t.started))
	for i := range t.started {
		waits[i] = t.collected[i].Sub(t.started[i])
		sessions[i] = t.session[i].Sub(t.started[i])
	}
	slices.Sort(waits)
	slices.Sort(sessions)
	f.waitMedian, f.waitMax = waits[len(waits)/2], waits[len(waits)-1]
	f.session = sessions[len(sessions)/2]
}

// logSlowest logs the count members that waited longest for their mail,
// with when each started and when its first relay session opened.
func (t scaleTimes) logSlowest(b *testing.B, count int) {
	order := make([]int, len(t.started))
	for i := range order {
		order[i] = i
	}
	wait := func(i int) time.Duration { return t.collected[i].Sub(t.started[i]) }
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(wait(j), wait(i)) })
	first := slices.MinFunc(t.started, time.Time.Compare)
	for _, i := range order[:min(count, len(order))] {
		b.Logf("member %d started at %.1fs: relay session after %.1fs, first message after %.1fs, all its mail after %.1fs",
			i, t.started[i].Sub(first).Seconds(), t.session[i].Sub(t.started[i]).Seconds(),
			t.first[i].Sub(t.started[i]).Seconds(), wait(i).Seconds())
	}
}

// TestRelayScaleMembers is a member process of BenchmarkRelayScale; it
// runs only when the benchmark starts it. It prints READY once it has its
// configuration, reads the start time (unix nanoseconds) from standard
// input, starts each member at its offset, prints its events, and stops
// every member when standard input closes.
func TestRelayScaleMembers(t *testing.T) {
	path := os.Getenv(memberProcEnv)
	if path == "" {
		t.Skip("a member process of BenchmarkRelayScale")
	}
	cfg := readMemberProcConfig(t, path)
	var out sync.Mutex
	report := func(what string, member int) {
		out.Lock()
		defer out.Unlock()
		fmt.Printf("%s %d %d\n", what, member, time.Now().UnixNano())
	}
	fmt.Println("READY")
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() {
		t.Fatal("no start time on standard input")
	}
	ns, err := strconv.ParseInt(in.Text(), 10, 64)
	if err != nil {
		t.Fatalf("start time %q: %v", in.Text(), err)
	}
	start := time.Unix(0, ns)
	var mu sync.Mutex
	var running []*nodetest.Node
	var starting sync.WaitGroup
	timers := make([]*time.Timer, len(cfg.Members))
	for i, m := range cfg.Members {
		starting.Add(1)
		timers[i] = time.AfterFunc(time.Until(start.Add(m.Offset)), func() {
			defer starting.Done()
			tn := startScaleMember(t, cfg, m, report)
			mu.Lock()
			running = append(running, tn)
			mu.Unlock()
		})
	}
	for in.Scan() {
	}
	for _, tm := range timers {
		if tm.Stop() {
			starting.Done()
		}
	}
	starting.Wait()
	var stopping sync.WaitGroup
	for _, tn := range running {
		stopping.Go(tn.Stop)
	}
	stopping.Wait()
}

// startScaleMember starts member m with the relay as its peer and relay.
func startScaleMember(t *testing.T, cfg memberProcConfig, m scaleMember, report func(string, int)) *nodetest.Node {
	obs := &collectObserver{member: m.Index, want: cfg.Pending, report: report}
	report("started", m.Index)
	return nodetest.Start(t, fmt.Sprintf("member-%d", m.Index), nodetest.Options{
		DB:     m.DB,
		Peers:  []string{cfg.RelayURL},
		Relays: []envelope.Address{cfg.RelayAddr},
		Quiet:  true,
		Tweak:  func(c *node.Config) { c.Observer = obs },
	})
}

// readMemberProcConfig reads a member process's configuration file.
func readMemberProcConfig(t *testing.T, path string) memberProcConfig {
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	var cfg memberProcConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("member process configuration %s: %v", path, err)
	}
	return cfg
}

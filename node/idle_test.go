//go:build unix

package node_test

import (
	"bytes"
	"flag"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/periodic"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
	"github.com/yggpost/yggpost/relay"
)

// idleWindow is how long TestIdleNodeLetsThePhoneSleep measures each node; a longer
// window (go test -run TestIdle -idle.window 60s ./node) gives steadier
// figures.
var idleWindow = flag.Duration("idle.window", 5*time.Second, "how long TestIdleNodeLetsThePhoneSleep measures an idle node")

// maxIdleSwitches bounds the context switches a second of the process
// while its node is idle.
const maxIdleSwitches = 60

// idleSample is the process's CPU time, context switches and periodic
// wake-ups at one moment.
type idleSample struct {
	at       time.Time
	cpu      time.Duration // user + system, every thread
	switches int64         // voluntary + involuntary context switches, every thread
	ticks    int64         // wake-ups of the node's own periodic loops
}

func sampleIdle(t *testing.T) idleSample {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return idleSample{
		at:       time.Now(),
		cpu:      time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		switches: int64(ru.Nvcsw + ru.Nivcsw),
		ticks:    periodic.Ticks(),
	}
}

// TestIdleNodeLetsThePhoneSleep runs a node with no peers and no mail, then
// a relay with no members, and measures what each costs at rest
// (invariant 7): the CPU time of the test process, its context switches
// (every time a thread of the process went to sleep or was put off a CPU,
// so about one per wake-up) and the wake-ups of the node's own timers.
// Nothing of the node's own may wake more often than once a minute; the
// process as a whole (Badger, the mesh, the Go runtime) must stay far below
// the 80 wake-ups a second that four Badger compactors on 50 ms tickers
// cost.
func TestIdleNodeLetsThePhoneSleep(t *testing.T) {
	for _, c := range []struct {
		name string
		opts nodetest.Options
	}{
		{"node", nodetest.Options{Quiet: true}},
		{"relay", nodetest.Options{Quiet: true, Listen: true, Relay: &relay.Options{Policy: relay.PolicyOpen, Forward: true}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var lines lineCounter
			c.opts.Tweak = func(cfg *node.Config) { cfg.Logger = slog.New(slog.NewTextHandler(&lines, nil)) }
			n := nodetest.Start(t, "idle "+c.name, c.opts)
			defer n.Stop()
			measureIdle(t, c.name, &lines)
		})
	}
}

// lineCounter counts the log lines written to it.
type lineCounter struct{ n atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(bytes.Count(p, []byte("\n"))))
	return len(p), nil
}

// measureIdle samples the process over idleWindow and checks the figures,
// and that the node logged nothing meanwhile (one line per state change:
// nothing changes at rest).
func measureIdle(t *testing.T, what string, lines *lineCounter) {
	t.Helper()
	// The first second is start-up (the announcer's first round, Badger's
	// first look at its levels, the forwarder's first round); its figures
	// are not counted.
	time.Sleep(time.Second)
	before, logged := sampleIdle(t), lines.n.Load()
	time.Sleep(*idleWindow)
	after := sampleIdle(t)
	if n := lines.n.Load() - logged; n != 0 {
		t.Errorf("the idle %s logged %d lines; at rest it logs nothing", what, n)
	}

	secs := after.at.Sub(before.at).Seconds()
	cpu := after.cpu - before.cpu
	switches := after.switches - before.switches
	ticks := after.ticks - before.ticks
	t.Logf("idle %s over %.1fs: CPU %v (%.3f%% of a core), %d context switches (%.1f/s), %d timer wake-ups of the node's own loops (%.2f/s)",
		what, secs, cpu, 100*cpu.Seconds()/secs, switches, float64(switches)/secs, ticks, float64(ticks)/secs)

	if allowed := int64(*idleWindow/time.Minute) + 1; ticks > allowed {
		t.Errorf("the node's own loops woke %d times in %.1fs; at rest they may wake at most once a minute (%d)", ticks, secs, allowed)
	}
	// About 10 a second at rest (the mesh's router, Badger's allocator
	// pool, the Go runtime), and more when other work crowds the machine;
	// about 370 with Badger's compactors running.
	if rate := float64(switches) / secs; rate > maxIdleSwitches {
		t.Errorf("the process switched context %.1f times a second at rest; want at most %d", rate, maxIdleSwitches)
	}
}

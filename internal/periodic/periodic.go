// Package periodic holds the timing of a node's loops: Every runs a
// function at a fixed interval for as long as a context lasts (garbage
// collection, relay expiry, record renewal), While runs one only while
// there is work for it (path probes), and Backoff is the
// exponential schedule of retries after failures (the outbox, relay
// sessions, forwarding). Ticks counts every timer wake-up of an Every or
// While loop, and of the loops that keep a timer of their own and say so
// with Woke, so that a test can prove a node at rest lets a phone sleep.
package periodic

import (
	"context"
	"sync/atomic"
	"time"
)

// ticks counts the timer wake-ups of every Every and While loop in the
// process.
var ticks atomic.Int64

// Ticks returns how many times an Every or While loop, or a loop that
// calls Woke, has woken on its timer since the process started.
func Ticks() int64 { return ticks.Load() }

// Woke counts one timer wake-up of a loop that keeps its own timer (the
// outbox scheduler, the relay's forwarder).
func Woke() { ticks.Add(1) }

// Every calls fn each interval until ctx ends; it returns when ctx ends.
// A call to fn that outlasts the interval delays the next, it does not
// overlap it.
func Every(ctx context.Context, interval time.Duration, fn func()) {
	While(ctx, interval, func() bool { fn(); return true })
}

// While calls fn each interval until fn returns false or ctx ends; it
// returns then. Like Every, it does not overlap calls. A loop that is
// needed only while there is work (path probes while mail waits) runs
// While when work appears, so that it sleeps without a timer the rest of
// the time.
func While(ctx context.Context, interval time.Duration, fn func() bool) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ticks.Add(1)
			if !fn() {
				return
			}
		}
	}
}

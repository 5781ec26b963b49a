// Package periodic holds the timing of a node's loops: Every runs a
// function at a fixed interval for as long as a context lasts (garbage
// collection, relay expiry, record renewal, path probes), and Backoff is
// the exponential schedule of retries after failures (the outbox, relay
// sessions, forwarding).
package periodic

import (
	"context"
	"time"
)

// Every calls fn each interval until ctx ends; it returns when ctx ends.
// A call to fn that outlasts the interval delays the next, it does not
// overlap it.
func Every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// Package testkit holds what the project's tests share: waiting for a
// condition or a value with a deadline instead of sleeping, a logger that
// writes into the test's own log, and a self-signed TLS certificate. It
// uses only the standard library and is imported only by tests.
package testkit

import (
	"bytes"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pace is how often Poll looks at its condition.
const pace = 20 * time.Millisecond

// Poll looks at cond every 20 ms (less near the deadline) until it holds or
// within has passed, and reports whether it held. It is for waits whose
// failure message says more than what was awaited.
func Poll(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		<-time.After(min(pace, left))
	}
	return true
}

// WaitFor polls cond until it holds, and fails the test naming what it
// waited for once within has passed.
func WaitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(within, cond) {
		t.Fatalf("timed out after %s waiting for %s", within, what)
	}
}

// Receive takes values from ch until ok accepts one (a nil ok accepts the
// first) and returns it; it fails the test naming what it waited for once
// within has passed, or if ch is closed.
func Receive[T any](t testing.TB, within time.Duration, what string, ch <-chan T, ok func(T) bool) T {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		select {
		case v, open := <-ch:
			if !open {
				t.Fatalf("channel closed while waiting for %s", what)
			}
			if ok == nil || ok(v) {
				return v
			}
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
	}
}

// Logger returns a logger at level Info that writes each record into the
// test log, prefixed with name, while the test runs, and discards records
// once the test has ended: a goroutine that outlives its test must not log
// into a finished test (which panics). With -v the logs show up interleaved
// with the test's own lines.
func Logger(t testing.TB, name string) *slog.Logger {
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

// Buffer is a bytes.Buffer that a test reads while other goroutines (a
// server's logger, a client) write to it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// InOneGroup runs every function of ops at once while lock is held, so
// that the first to reach a store's committer waits as it starts its batch
// and the others queue behind it; once queued says all of them wait, it
// releases lock and waits for them, and they commit as one group.
func InOneGroup(t testing.TB, lock sync.Locker, queued func() int, ops []func()) {
	t.Helper()
	lock.Lock()
	var wg sync.WaitGroup
	for _, op := range ops {
		wg.Go(op)
	}
	WaitFor(t, 10*time.Second, "the writes to queue", func() bool { return queued() == len(ops) })
	lock.Unlock()
	wg.Wait()
}

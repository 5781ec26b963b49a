package outbox

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/mailbox"
)

// runQueue runs a queue over a real store until the test ends, and queues
// one message in it.
func runQueue(t *testing.T, opts Options) *mailbox.Store {
	t.Helper()
	store := newStore(t)
	q := runOn(t, store, opts)
	enqueue(t, store, mailbox.Outbound{ID: [16]byte{1}, Recipient: [32]byte{2}})
	q.Wake()
	return store
}

// newStore opens a store that closes when the test ends.
func newStore(t *testing.T) *mailbox.Store {
	t.Helper()
	store, err := mailbox.Open(t.TempDir(), mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// runOn runs a queue over store until the test ends.
func runOn(t *testing.T, store *mailbox.Store, opts Options) *Queue {
	t.Helper()
	opts.Store = store
	q := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return q
}

// enqueue queues row with a short message.
func enqueue(t *testing.T, store *mailbox.Store, row mailbox.Outbound) {
	t.Helper()
	if err := store.Enqueue(row, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
}

// recorder collects calls made by the queue.
type recorder struct {
	mu      sync.Mutex
	calls   []string
	reasons []error
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 100)} }

func (r *recorder) add(call string, reason error) {
	r.mu.Lock()
	r.calls = append(r.calls, call)
	r.reasons = append(r.reasons, reason)
	r.mu.Unlock()
	r.changed <- struct{}{}
}

// waitFor waits until calls satisfies ok, failing after ten seconds.
func (r *recorder) waitFor(t *testing.T, what string, ok func(calls []string) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		done := ok(r.calls)
		calls := append([]string(nil), r.calls...)
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("waiting for %s; calls so far %v", what, calls)
		}
	}
}

func count(calls []string, name string) int {
	n := 0
	for _, c := range calls {
		if c == name {
			n++
		}
	}
	return n
}

func TestCustodyStopsRetriesThenBouncesAtItsEnd(t *testing.T) {
	rec := newRecorder()
	until := time.Now().Add(1500 * time.Millisecond)
	store := runQueue(t, Options{
		Deliver: func(ctx context.Context, it mailbox.Outbound, r io.Reader) error {
			rec.add("deliver", nil)
			return InCustody(until, "relay-x")
		},
		Bounce: func(it mailbox.Outbound, reason error) error {
			rec.add("bounce", reason)
			return nil
		},
	})
	rec.waitFor(t, "the custody", func(c []string) bool { return count(c, "deliver") == 1 })
	row, _ := waitRow(t, store, [16]byte{1}, "the custody recorded", func(row mailbox.Outbound, err error) bool { return !row.Custody.IsZero() })
	if !row.Custody.Equal(until) || row.Custodians != "relay-x" {
		t.Fatalf("row after custody: %+v", row)
	}
	rec.waitFor(t, "the bounce at the custody's end", func(c []string) bool { return count(c, "bounce") == 1 })
	if time.Now().Before(until) {
		t.Error("bounced before the custody ended")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if count(rec.calls, "deliver") != 1 {
		t.Errorf("delivery attempted %d times while a relay held the envelope", count(rec.calls, "deliver"))
	}
	if reason := rec.reasons[len(rec.reasons)-1]; !errors.Is(reason, ErrCustodyExpired) || !strings.Contains(reason.Error(), "relay-x") {
		t.Errorf("bounce reason %v", reason)
	}
	// The row goes once Bounce has returned.
	waitRow(t, store, [16]byte{1}, "the row removed after the bounce", func(_ mailbox.Outbound, err error) bool { return errors.Is(err, mailbox.ErrNotFound) })
}

// waitRow waits until the outbox row id satisfies ok and returns it,
// failing after ten seconds.
func waitRow(t *testing.T, store *mailbox.Store, id [16]byte, what string, ok func(mailbox.Outbound, error) bool) (mailbox.Outbound, error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		row, err := store.GetOutbound(id)
		if ok(row, err) {
			return row, err
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; row %+v, %v", what, row, err)
		}
		runtime.Gosched()
	}
}

func TestDelayNoticeIsSentOnce(t *testing.T) {
	rec := newRecorder()
	store := runQueue(t, Options{
		NotifyAfter: time.Millisecond,
		MaxBackoff:  50 * time.Millisecond,
		Deliver: func(ctx context.Context, it mailbox.Outbound, r io.Reader) error {
			rec.add("deliver", nil)
			return errors.New("unreachable")
		},
		Notify: func(it mailbox.Outbound, cause error) error {
			rec.add("notify", cause)
			return nil
		},
	})
	rec.waitFor(t, "four attempts", func(c []string) bool { return count(c, "deliver") >= 4 })
	rec.mu.Lock()
	n := count(rec.calls, "notify")
	rec.mu.Unlock()
	if n != 1 {
		t.Errorf("%d delay notices, want 1", n)
	}
	if row, err := store.GetOutbound([16]byte{1}); err != nil || !row.Notified {
		t.Errorf("row %+v %v: want Notified", row, err)
	}
}

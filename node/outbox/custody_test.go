package outbox

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/mailbox"
)

// runQueue runs a queue over a real store until the test ends.
func runQueue(t *testing.T, opts Options) *mailbox.Store {
	t.Helper()
	store, err := mailbox.Open(t.TempDir(), mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Store = store
	q := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; store.Close() })
	if err := store.Enqueue(mailbox.Outbound{ID: [16]byte{1}, Recipient: [32]byte{2}}, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	q.Wake()
	return store
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
	var row mailbox.Outbound
	deadline := time.Now().Add(10 * time.Second)
	for row.Custody.IsZero() && time.Now().Before(deadline) {
		row, _ = store.GetOutbound([16]byte{1})
	}
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
	if _, err := store.GetOutbound([16]byte{1}); !errors.Is(err, mailbox.ErrNotFound) {
		t.Errorf("row after the bounce: %v", err)
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

package outbox

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
)

// gate holds each delivery until the test releases it, and counts how many
// run at once.
type gate struct {
	entered chan envelope.Address // one send per delivery started

	mu       sync.Mutex
	releases map[envelope.Address]chan error
	running  int
	most     int
}

func newGate() *gate {
	return &gate{entered: make(chan envelope.Address, 100), releases: map[envelope.Address]chan error{}}
}

// deliver is the gate's DeliverFunc: it returns what the test releases it
// with.
func (g *gate) deliver(ctx context.Context, row mailbox.Outbound, _ io.Reader) error {
	g.mu.Lock()
	g.running++
	g.most = max(g.most, g.running)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.running--
		g.mu.Unlock()
	}()
	g.entered <- row.Recipient
	select {
	case err := <-g.release(row.Recipient):
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release returns the channel that ends a delivery to rcpt.
func (g *gate) release(rcpt envelope.Address) chan error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.releases[rcpt] == nil {
		g.releases[rcpt] = make(chan error)
	}
	return g.releases[rcpt]
}

// next waits for a delivery to start and returns its recipient.
func (g *gate) next(t *testing.T) envelope.Address {
	t.Helper()
	select {
	case rcpt := <-g.entered:
		return rcpt
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery started")
		return envelope.Address{}
	}
}

// waitKickTaken waits until Run has taken the pending kick; Run then
// handles it before any worker's report.
func waitKickTaken(t *testing.T, q *Queue) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(q.sched.kick) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not take the kick")
		}
		runtime.Gosched()
	}
}

// A retry asked for while the recipient's worker is busy is honoured when
// that worker ends, although the failure it reports schedules the next try
// ten minutes away.
func TestRetryWhileBusyIsHonouredWhenTheWorkerEnds(t *testing.T) {
	a, b := envelope.Address{0xa}, envelope.Address{0xb}
	for _, tc := range []struct {
		name string
		ask  func(t *testing.T, q *Queue, store *mailbox.Store, g *gate)
	}{
		{"kick for the busy recipient alone", func(t *testing.T, q *Queue, _ *mailbox.Store, _ *gate) {
			q.Retry(a)
			waitKickTaken(t, q)
		}},
		{"kick that lists the outbox", func(t *testing.T, q *Queue, store *mailbox.Store, g *gate) {
			q.Retry(a)
			enqueue(t, store, mailbox.Outbound{ID: [16]byte{2}, Recipient: b})
			q.Wake()
			if got := g.next(t); got != b { // started by the listing that also saw a busy
				t.Fatalf("delivery to %v started, want %v", got, b)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate()
			store := newStore(t)
			enqueue(t, store, mailbox.Outbound{ID: [16]byte{1}, Recipient: a, Attempts: 20}) // the next failure waits MaxBackoff
			q := runOn(t, store, Options{Deliver: g.deliver})
			if got := g.next(t); got != a {
				t.Fatalf("delivery to %v started, want %v", got, a)
			}
			tc.ask(t, q, store, g)
			g.release(a) <- errors.New("unreachable")
			if got := g.next(t); got != a {
				t.Fatalf("delivery to %v started, want the forced retry of %v", got, a)
			}
			row, err := store.GetOutbound([16]byte{1})
			if err != nil || row.Attempts != 21 || time.Until(row.NextAttempt) < DefaultMaxBackoff/2 {
				t.Errorf("row after the failed attempt: %+v %v; want 21 attempts, the next in about %s", row, err, DefaultMaxBackoff)
			}
		})
	}
}

// At most Concurrency recipients are served at once; the recipients the
// bound holds back set no timer, for a worker's end brings them up again.
// The test plays Run's part: it alone touches the running state.
func TestConcurrencyBound(t *testing.T) {
	const recipients, bound = 5, 2
	g := newGate()
	store := newStore(t)
	for i := range recipients {
		enqueue(t, store, mailbox.Outbound{ID: [16]byte{byte(i + 1)}, Recipient: envelope.Address{byte(i + 1)}})
	}
	s := New(Options{Store: store, Deliver: g.deliver, Concurrency: bound}).sched
	s.begin()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); s.workers.Wait() })
	for served := 0; served < recipients; served++ {
		next, err := s.dispatch(ctx)
		if want := min(bound, recipients-served); err != nil || len(s.busy) != want || !next.IsZero() {
			t.Fatalf("after %d served: %d workers, next try %v, %v; want %d workers and no timer", served, len(s.busy), next, err, want)
		}
		g.release(g.next(t)) <- nil
		select {
		case r := <-s.results:
			s.finished(r)
		case <-time.After(10 * time.Second):
			t.Fatal("no worker reported")
		}
	}
}

// When the bound held a recipient back, a worker's end starts it without
// any other wake-up.
func TestWorkerEndStartsRecipientHeldByTheBound(t *testing.T) {
	g := newGate()
	store := newStore(t)
	a, b := envelope.Address{0xa}, envelope.Address{0xb}
	enqueue(t, store, mailbox.Outbound{ID: [16]byte{1}, Recipient: a})
	enqueue(t, store, mailbox.Outbound{ID: [16]byte{2}, Recipient: b})
	runOn(t, store, Options{Deliver: g.deliver, Concurrency: 1}) // lists the outbox once; nothing kicks it
	first := g.next(t)
	g.release(first) <- nil
	if second := g.next(t); second == first {
		t.Fatalf("%v delivered twice", first)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.most != 1 {
		t.Errorf("%d deliveries ran at once, want 1", g.most)
	}
}

// A recipient's messages go out in the order they were submitted, whatever
// their stored schedule; a Deliver that does not say Sent has one at a
// time.
func TestRecipientMessagesGoOutInSubmissionOrder(t *testing.T) {
	g := newGate()
	store := newStore(t)
	rcpt, now := envelope.Address{0xc}, time.Now()
	enqueue(t, store, mailbox.Outbound{ID: [16]byte{1}, Recipient: rcpt, Created: now.Add(-time.Minute), NextAttempt: now})
	enqueue(t, store, mailbox.Outbound{ID: [16]byte{2}, Recipient: rcpt, Created: now, NextAttempt: now.Add(-time.Hour)})
	var order [][16]byte
	runOn(t, store, Options{Deliver: func(ctx context.Context, row mailbox.Outbound, r io.Reader) error {
		order = append(order, row.ID) // the worker's goroutine only; read after its second delivery
		return g.deliver(ctx, row, r)
	}})
	for range 2 {
		g.release(g.next(t)) <- nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(order) != 2 || order[0] != ([16]byte{1}) || order[1] != ([16]byte{2}) || g.most != 1 {
		t.Errorf("delivered %x with up to %d at once; want ids 1 then 2, one at a time", order, g.most)
	}
}

// A Deliver that says Sent once its message is written lets the
// recipient's next message start before the answer: a window of them wait
// at once, never more, and they start in submission order.
func TestSentLetsAWindowOfMessagesWait(t *testing.T) {
	g := newGate()
	store := newStore(t)
	rcpt, now := envelope.Address{0xd}, time.Now()
	const rows, window = 10, 4
	for i := range rows {
		enqueue(t, store, mailbox.Outbound{ID: [16]byte{byte(i + 1)}, Recipient: rcpt, Created: now.Add(time.Duration(i) * time.Second)})
	}
	var order [][16]byte
	var mu sync.Mutex
	runOn(t, store, Options{Window: window, Deliver: func(ctx context.Context, row mailbox.Outbound, r io.Reader) error {
		mu.Lock()
		order = append(order, row.ID)
		mu.Unlock()
		Sent(ctx)
		return g.deliver(ctx, row, r)
	}})
	for range window {
		g.next(t) // the whole window starts before any answer
	}
	for range rows {
		g.release(rcpt) <- nil // each answer lets one more start
	}
	g.mu.Lock()
	most := g.most
	g.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if most != window {
		t.Errorf("%d messages waited at once, want the window of %d", most, window)
	}
	if len(order) != rows {
		t.Fatalf("%d of %d messages started", len(order), rows)
	}
	for i, id := range order {
		if id != ([16]byte{byte(i + 1)}) {
			t.Fatalf("started %x, want submission order", order)
		}
	}
}

// A message queued for a recipient while its worker runs joins that
// worker's flight: it starts while the one before still waits for its
// answer, not only once the worker has ended and the scheduler looked
// again.
func TestQueuedWhileBusyJoinsTheFlight(t *testing.T) {
	store := newStore(t)
	rcpt, now := envelope.Address{0xe}, time.Now()
	enqueue(t, store, mailbox.Outbound{ID: [16]byte{1}, Recipient: rcpt, Created: now})
	started := make(chan [16]byte, 10)
	written, answer := make(chan struct{}), make(chan struct{})
	q := runOn(t, store, Options{Window: 4, Deliver: func(ctx context.Context, row mailbox.Outbound, _ io.Reader) error {
		started <- row.ID
		if row.ID == ([16]byte{1}) {
			select {
			case <-written:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		Sent(ctx)
		select {
		case <-answer:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	t.Cleanup(func() { close(answer) })
	if id := <-started; id != ([16]byte{1}) {
		t.Fatalf("started %x, want the first message", id)
	}
	second := mailbox.Outbound{ID: [16]byte{2}, Recipient: rcpt, Created: now.Add(time.Second)}
	enqueue(t, store, second)
	q.Queued(second) // as a submission does
	close(written)
	select {
	case id := <-started:
		if id != ([16]byte{2}) {
			t.Fatalf("started %x, want the second message", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the message queued while the first was under way did not start before the first's answer")
	}
}

// A kick that asks only for recipients with a worker needs no listing of
// the outbox; any other request does.
func TestOnlyBusyForced(t *testing.T) {
	a, b := envelope.Address{0xa}, envelope.Address{0xb}
	s := newScheduler(nil)
	s.busy = map[envelope.Address]bool{a: true}
	for _, tc := range []struct {
		name string
		ask  func(*requests)
		want bool
	}{
		{"retry of the busy recipient", func(r *requests) { r.force[a] = true }, true},
		{"retry of an idle recipient too", func(r *requests) { r.force[a], r.force[b] = true, true }, false},
		{"retry of all", func(r *requests) { r.all = true }, false},
		{"wake", func(r *requests) { r.woken = true }, false},
		{"nothing", func(*requests) {}, false},
	} {
		s.take()
		s.ask(tc.ask)
		if got := s.onlyBusyForced(); got != tc.want {
			t.Errorf("%s: onlyBusyForced = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Messages queued one after the other for a recipient start in the order
// they were queued, each once, however their queuing falls between the
// scheduler listing the outbox and taking its requests: a row queued then
// is not among the rows listed, and the worker must still take it into its
// flight before any row queued after it.
func TestQueuedBurstKeepsSubmissionOrder(t *testing.T) {
	store := newStore(t)
	now := time.Now()
	for i := range 1500 { // not due for long: they only make every listing take a while
		enqueue(t, store, mailbox.Outbound{ID: [16]byte{0xee, byte(i >> 8), byte(i)}, Recipient: envelope.Address{0xb}, Created: now, NextAttempt: now.Add(time.Hour)})
	}
	rcpt := envelope.Address{0xa}
	var (
		mu     sync.Mutex
		starts = map[[16]byte]int{}
		order  []int
	)
	q := runOn(t, store, Options{Window: 4, Deliver: func(ctx context.Context, row mailbox.Outbound, _ io.Reader) error {
		mu.Lock()
		starts[row.ID]++
		order = append(order, int(row.ID[1])<<8|int(row.ID[2]))
		mu.Unlock()
		Sent(ctx)
		return nil
	}})
	const n = 300
	for i := range n {
		row := mailbox.Outbound{ID: [16]byte{1, byte(i >> 8), byte(i)}, Recipient: rcpt, Created: now.Add(time.Duration(i) * time.Millisecond), NextAttempt: now}
		enqueue(t, store, row)
		q.Queued(row)
	}
	testkit.WaitFor(t, 20*time.Second, "every message started", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(starts) == n
	})
	mu.Lock()
	defer mu.Unlock()
	for id, c := range starts {
		if c != 1 {
			t.Errorf("%x started %d times", id, c)
		}
	}
	if !slices.IsSorted(order) {
		t.Errorf("started in the order %v, not as queued", order)
	}
}

package outbox

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/periodic"
	"github.com/yggpost/yggpost/mailbox"
)

// scheduler decides when each recipient's messages are tried, and runs the
// workers that try them: one per recipient, at most Options.Concurrency at
// once. Its fields fall in two parts.
//
// Requests, which any goroutine may make: Wake, Retry and RetryAll record
// theirs in asked, under mu, then send on kick without blocking. Run takes
// them each time it lists the outbox, and keepForce puts back a forced
// retry that has to wait for a worker to end.
//
// Running state (results and the fields after it): the Run goroutine's
// alone, set afresh when Run starts. A worker touches none of it; it reads
// only q's options and store, and reports on results.
type scheduler struct {
	q    *Queue        // fixed by New
	kick chan struct{} // buffer one: a wake-up is pending

	mu    sync.Mutex
	asked requests // guarded by mu

	results chan result                    // workers' reports
	workers sync.WaitGroup                 // running workers
	busy    map[envelope.Address]bool      // recipients with a worker
	backoff map[envelope.Address]time.Time // next try after a failure since Run started
	timer   *time.Timer                    // fires at the earliest scheduled try
}

// requests is what other goroutines asked of Run since it last listed the
// outbox.
type requests struct {
	force map[envelope.Address]bool // recipients to try now, whatever their schedule
	all   bool                      // try every recipient now
	woken bool                      // the rows changed: list them again
	// fresh are rows queued (Queue.Queued), by recipient, for a running
	// worker to take into its flight (Queue.more); take leaves them.
	fresh map[envelope.Address][]envelope.ID
}

// forced reports whether rcpt is to be tried now, whatever its schedule.
func (r requests) forced(rcpt envelope.Address) bool { return r.all || r.force[rcpt] }

// result is what a worker reports when it has finished with one recipient.
type result struct {
	recipient envelope.Address
	next      time.Time // zero: nothing left that failed
}

func newScheduler(q *Queue) *scheduler {
	return &scheduler{q: q, kick: make(chan struct{}, 1), asked: requests{force: map[envelope.Address]bool{}}}
}

// ask records a request and wakes Run; it never blocks.
func (s *scheduler) ask(record func(*requests)) {
	s.mu.Lock()
	record(&s.asked)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// take returns the requests made since the last take and clears them,
// but for the rows queued (fresh): those stay until a worker of their
// recipient takes them (takeFresh). Taken here, a row queued after the
// outbox was listed would be in neither the rows a worker starts with nor
// its flight, and a worker could start a later one before it.
func (s *scheduler) take() requests {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.asked
	s.asked = requests{force: map[envelope.Address]bool{}, fresh: r.fresh}
	r.fresh = nil
	return r
}

// keepForce re-arms a forced retry of rcpt without waking Run; Run looks
// again when a worker finishes, and rcpt's running worker may take the
// rows queued for it first (Queue.more).
func (s *scheduler) keepForce(rcpt envelope.Address) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked.force[rcpt] = true
}

// takeFresh returns the rows queued for rcpt that no worker took yet, and
// forgets them; the forced retry that came with them stays, for when the
// worker ends. Rows the worker started with come again here; it skips
// them.
func (s *scheduler) takeFresh(rcpt envelope.Address) []envelope.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.asked.fresh[rcpt]
	delete(s.asked.fresh, rcpt)
	return ids
}

// onlyBusyForced reports whether a kick asked only for recipients that
// have a worker already; their force flags stay set for when it ends, and
// the outbox need not be listed again. Listing it for every kick would
// cost O(rows) each time a burst of messages for one recipient is queued.
func (s *scheduler) onlyBusyForced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.asked.woken || s.asked.all || len(s.asked.force) == 0 {
		return false
	}
	for r := range s.asked.force {
		if !s.busy[r] {
			return false
		}
	}
	return true
}

// run schedules until ctx is cancelled, then waits for the workers to stop.
func (s *scheduler) run(ctx context.Context) {
	s.begin()
	defer s.workers.Wait()
	defer s.timer.Stop()
	for scan := true; ; {
		if scan {
			s.schedule(ctx)
		}
		scan = true
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
			scan = !s.onlyBusyForced()
		case <-s.timer.C:
			periodic.Woke()
		case r := <-s.results:
			s.finished(r)
		}
	}
}

// begin sets the running state afresh.
func (s *scheduler) begin() {
	s.results = make(chan result)
	s.busy = map[envelope.Address]bool{}
	s.backoff = map[envelope.Address]time.Time{}
	s.timer = time.NewTimer(0)
}

// schedule starts the workers that are due and sets the timer for the
// earliest try still to come.
func (s *scheduler) schedule(ctx context.Context) {
	next, err := s.dispatch(ctx)
	if err != nil {
		s.q.log.Error("read outbox", "err", err)
		next = time.Now().Add(5 * time.Second)
	}
	resetTimer(s.timer, next)
}

// finished records a worker's report: the recipient is free, and waits
// until r.next if something failed.
func (s *scheduler) finished(r result) {
	delete(s.busy, r.recipient)
	if r.next.IsZero() {
		delete(s.backoff, r.recipient)
	} else {
		s.backoff[r.recipient] = r.next
	}
}

func resetTimer(t *time.Timer, at time.Time) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	if at.IsZero() {
		return
	}
	t.Reset(max(time.Until(at), 0))
}

// dispatch starts a worker for every recipient that is due and returns the
// time of the earliest future try (zero if none).
func (s *scheduler) dispatch(ctx context.Context) (time.Time, error) {
	rows, err := s.q.opts.Store.Outbox()
	if err != nil {
		return time.Time{}, fmt.Errorf("list outbox: %w", err)
	}
	asked := s.take()
	if s.q.opts.Waiting != nil && slices.ContainsFunc(rows, awaitsDelivery) {
		s.q.opts.Waiting()
	}
	order, byRecipient := groupByRecipient(rows)
	now := time.Now()
	var next time.Time
	for _, rcpt := range order {
		due := s.consider(ctx, rcpt, byRecipient[rcpt], asked, now)
		if !due.IsZero() && (next.IsZero() || due.Before(next)) {
			next = due
		}
	}
	return next, nil
}

// consider starts a worker for rcpt if it is due or forced and the bound
// allows one more. It returns the time rcpt waits for, zero if it waits
// for no time: it runs, or a worker's end will bring it up again.
func (s *scheduler) consider(ctx context.Context, rcpt envelope.Address, rows []mailbox.Outbound, asked requests, now time.Time) time.Time {
	forced := asked.forced(rcpt)
	switch due := dueAt(rows, s.backoff[rcpt]); {
	case !s.busy[rcpt] && !forced && due.After(now):
		return due
	case s.busy[rcpt] || len(s.busy) >= s.q.opts.Concurrency:
		if forced {
			s.keepForce(rcpt) // honoured when a worker ends
		}
	default:
		s.start(ctx, rcpt, rows)
	}
	return time.Time{}
}

// start runs a worker that tries rcpt's rows and reports on results.
func (s *scheduler) start(ctx context.Context, rcpt envelope.Address, rows []mailbox.Outbound) {
	s.busy[rcpt] = true
	s.workers.Go(func() {
		r := s.q.work(ctx, rcpt, rows)
		select {
		case s.results <- r:
		case <-ctx.Done():
		}
	})
}

// groupByRecipient returns the recipients of rows in the order they first
// appear, and each one's rows.
func groupByRecipient(rows []mailbox.Outbound) ([]envelope.Address, map[envelope.Address][]mailbox.Outbound) {
	byRecipient := map[envelope.Address][]mailbox.Outbound{}
	var order []envelope.Address
	for _, row := range rows {
		if _, seen := byRecipient[row.Recipient]; !seen {
			order = append(order, row.Recipient)
		}
		byRecipient[row.Recipient] = append(byRecipient[row.Recipient], row)
	}
	return order, byRecipient
}

// dueAt is when a recipient should next be tried: its in-memory backoff if
// an attempt failed since Run started, else the earliest stored schedule.
func dueAt(rows []mailbox.Outbound, backoff time.Time) time.Time {
	if !backoff.IsZero() {
		return backoff
	}
	due := dueOf(rows[0])
	for _, row := range rows[1:] {
		if d := dueOf(row); d.Before(due) {
			due = d
		}
	}
	return due
}

// awaitsDelivery reports whether row waits for its recipient to be reached:
// no relay holds it.
func awaitsDelivery(row mailbox.Outbound) bool { return row.Custody.IsZero() }

// dueOf is when one row needs the queue: its next attempt, or the end of
// its custody.
func dueOf(row mailbox.Outbound) time.Time {
	if !row.Custody.IsZero() {
		return row.Custody
	}
	return row.NextAttempt
}

// Package outbox owns the delivery of queued sealed envelopes to their
// recipients' nodes.
//
// One goroutine (Run) owns the schedule. It is woken by a kick — a
// non-blocking send on a channel of buffer one — when a message is queued or
// when the mesh reports that a recipient may be reachable again, and
// otherwise sleeps until the earliest scheduled retry; it never polls.
// Messages to one recipient go out in order, one at a time, over fresh
// streams; different recipients are served concurrently up to a bound.
//
// The queue row of an envelope is deleted only after the recipient's node
// acknowledged that it stored the envelope durably (Deliver returned nil),
// or after the envelope bounced (Bounce returned nil). A crash at any point
// leaves the row in place and the envelope is sent again; the recipient
// de-duplicates by envelope id.
//
// Retry schedule after a failed attempt n (1-based): 2s·2^(n-1), capped at
// 10 minutes, with ±20% jitter; the attempt count is stored with the row so
// the schedule survives restarts. An envelope older than NotifyAfter that
// is still being tried makes the sender get one "delayed" notice (Notify);
// an envelope older than GiveUp bounces.
//
// Relays: Deliver may report that a relay took custody of the envelope
// (InCustody). The row then stays, untried, until the custody ends: the
// recipient's delivery receipt removes it (the node calls
// Store.DeleteOutbound), and if none came by the custody's end the envelope
// bounces then.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

// DeliverFunc transfers one sealed envelope to its recipient's node and
// returns nil only once the recipient acknowledged durable storage. An error
// marked with Permanent makes the envelope bounce at once; any other error
// is retried.
type DeliverFunc func(ctx context.Context, item mailbox.Outbound, sealed io.Reader) error

// BounceFunc tells the sender that an envelope will never be delivered, for
// example by putting a delivery status notification in the INBOX. It must
// be durable when it returns nil.
type BounceFunc func(item mailbox.Outbound, reason error) error

// NotifyFunc tells the sender that an envelope is still being tried (an
// RFC 3464 "delayed" report). It must be durable when it returns nil.
type NotifyFunc func(item mailbox.Outbound, cause error) error

// Options configure a Queue. Store and Deliver are required.
type Options struct {
	Store       *mailbox.Store
	Deliver     DeliverFunc
	Bounce      BounceFunc
	Notify      NotifyFunc // nil: no delay notices
	Logger      *slog.Logger
	Concurrency int           // recipients served at once; default 8
	GiveUp      time.Duration // age at which an envelope bounces; default 5 days
	NotifyAfter time.Duration // age of the delay notice; default 4 hours
	MaxBackoff  time.Duration // longest wait between attempts; default 10 minutes
}

// DefaultNotifyAfter is when the sender hears that a message is delayed.
const DefaultNotifyAfter = 4 * time.Hour

// custodyError reports that a relay holds the envelope.
type custodyError struct {
	until time.Time
	by    string
}

func (e *custodyError) Error() string {
	return fmt.Sprintf("held by %s until %s", e.by, e.until.UTC().Format(time.RFC3339))
}

// InCustody is what Deliver returns when it could not reach the recipient
// but a relay took custody of the envelope until until; by names the
// relays for the sender's notices. The queue stops trying the envelope.
func InCustody(until time.Time, by string) error { return &custodyError{until: until, by: by} }

// ErrCustodyExpired is the bounce reason of an envelope whose relay custody
// ended without a delivery receipt from the recipient.
var ErrCustodyExpired = errors.New("the recipient did not collect the message from its relay before the relay's retention ended")

// Queue delivers the store's outbox. Create it with New and start Run.
type Queue struct {
	opts  Options
	log   *slog.Logger
	kick  chan struct{}
	mu    sync.Mutex
	force map[envelope.Address]bool // recipients to try now, whatever their schedule
	all   bool                      // try every recipient now
	woken bool                      // the rows changed: list them again
}

// New returns a queue over opts.Store. It does nothing until Run.
func New(opts Options) *Queue {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.GiveUp <= 0 {
		opts.GiveUp = 5 * 24 * time.Hour
	}
	if opts.NotifyAfter <= 0 {
		opts.NotifyAfter = DefaultNotifyAfter
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Queue{opts: opts, log: opts.Logger, kick: make(chan struct{}, 1), force: map[envelope.Address]bool{}}
}

// Wake asks the queue to look at its rows again, for example after a new
// envelope was queued. It never blocks.
func (q *Queue) Wake() {
	q.mu.Lock()
	q.woken = true
	q.mu.Unlock()
	q.kick1()
}

// kick1 wakes Run without saying why; it never blocks.
func (q *Queue) kick1() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// Retry makes the queue try the recipient now, ignoring its backoff: the
// mesh says it may be reachable again, or a new message for it was queued.
func (q *Queue) Retry(recipient envelope.Address) {
	q.mu.Lock()
	q.force[recipient] = true
	q.mu.Unlock()
	q.kick1()
}

// RetryAll makes the queue try every recipient now, for example after a new
// peering link came up.
func (q *Queue) RetryAll() {
	q.mu.Lock()
	q.all = true
	q.mu.Unlock()
	q.kick1()
}

// onlyBusyForced reports whether a kick asked only for recipients that
// have a worker already; their force flags stay set for when it ends, and
// the outbox need not be listed again. Listing it for every kick would
// cost O(rows) each time a burst of messages for one recipient is queued.
func (q *Queue) onlyBusyForced(busy map[envelope.Address]bool) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.woken || q.all || len(q.force) == 0 {
		return false
	}
	for r := range q.force {
		if !busy[r] {
			return false
		}
	}
	return true
}

// keepForce re-arms a forced retry without waking the loop; the loop looks
// again when a worker finishes.
func (q *Queue) keepForce(recipient envelope.Address) {
	q.mu.Lock()
	q.force[recipient] = true
	q.mu.Unlock()
}

// Backoff returns the wait after the given number of failed attempts,
// without jitter.
func Backoff(attempts int, max time.Duration) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

// result is what a worker reports when it has finished with one recipient.
type result struct {
	recipient envelope.Address
	next      time.Time // zero: nothing left that failed
}

// Run delivers until ctx is cancelled, then waits for in-flight attempts to
// stop and returns.
func (q *Queue) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	results := make(chan result)
	busy := map[envelope.Address]bool{}
	backoff := map[envelope.Address]time.Time{}
	timer := time.NewTimer(0)
	defer timer.Stop()
	scan := true
	for {
		if scan {
			next, err := q.dispatch(ctx, &wg, results, busy, backoff)
			if err != nil {
				q.log.Error("read outbox", "err", err)
				next = time.Now().Add(5 * time.Second)
			}
			resetTimer(timer, next)
		}
		scan = true
		select {
		case <-ctx.Done():
			return nil
		case <-q.kick:
			scan = !q.onlyBusyForced(busy)
		case <-timer.C:
		case r := <-results:
			delete(busy, r.recipient)
			if r.next.IsZero() {
				delete(backoff, r.recipient)
			} else {
				backoff[r.recipient] = r.next
			}
		}
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
// time of the earliest future retry (zero if none).
func (q *Queue) dispatch(ctx context.Context, wg *sync.WaitGroup, results chan<- result, busy map[envelope.Address]bool, backoff map[envelope.Address]time.Time) (time.Time, error) {
	rows, err := q.opts.Store.Outbox()
	if err != nil {
		return time.Time{}, fmt.Errorf("list outbox: %w", err)
	}
	q.mu.Lock()
	force, all := q.force, q.all
	q.force, q.all, q.woken = map[envelope.Address]bool{}, false, false
	q.mu.Unlock()

	byRecipient := map[envelope.Address][]mailbox.Outbound{}
	var order []envelope.Address
	for _, row := range rows {
		if _, seen := byRecipient[row.Recipient]; !seen {
			order = append(order, row.Recipient)
		}
		byRecipient[row.Recipient] = append(byRecipient[row.Recipient], row)
	}
	now := time.Now()
	var next time.Time
	for _, rcpt := range order {
		items := byRecipient[rcpt]
		due := dueAt(items, backoff[rcpt])
		if busy[rcpt] {
			if force[rcpt] || all {
				q.keepForce(rcpt) // honoured when the running attempt ends
			}
			continue
		}
		if !force[rcpt] && !all && due.After(now) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		if len(busy) >= q.opts.Concurrency {
			if force[rcpt] || all {
				q.keepForce(rcpt)
			}
			continue // a finishing worker wakes the loop
		}
		busy[rcpt] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := q.work(ctx, rcpt, items)
			select {
			case results <- r:
			case <-ctx.Done():
			}
		}()
	}
	return next, nil
}

// dueAt is when a recipient should next be tried: its in-memory backoff if
// an attempt failed since start, else the earliest stored schedule.
func dueAt(items []mailbox.Outbound, backoff time.Time) time.Time {
	if !backoff.IsZero() {
		return backoff
	}
	due := dueOf(items[0])
	for _, it := range items[1:] {
		if d := dueOf(it); d.Before(due) {
			due = d
		}
	}
	return due
}

// dueOf is when one row needs the queue: its next attempt, or the end of
// its custody.
func dueOf(it mailbox.Outbound) time.Time {
	if !it.Custody.IsZero() {
		return it.Custody
	}
	return it.NextAttempt
}

// work sends the recipient's envelopes in order, stopping at the first
// temporary failure, and reports when to try again.
func (q *Queue) work(ctx context.Context, rcpt envelope.Address, items []mailbox.Outbound) result {
	sort.Slice(items, func(i, j int) bool { return items[i].Created.Before(items[j].Created) })
	for _, it := range items {
		if !it.Custody.IsZero() {
			q.custodyDue(it)
			continue
		}
		err := q.attempt(ctx, it)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return result{recipient: rcpt}
		}
		return result{recipient: rcpt, next: q.failed(it, err)}
	}
	return result{recipient: rcpt}
}

// attempt delivers one envelope; on success or bounce it deletes the row.
func (q *Queue) attempt(ctx context.Context, it mailbox.Outbound) error {
	body, err := q.opts.Store.OpenOutbound(it.ID)
	if err != nil {
		if errors.Is(err, mailbox.ErrNotFound) {
			return nil // already delivered by an earlier attempt
		}
		return fmt.Errorf("open queued envelope: %w", err)
	}
	start := time.Now()
	err = q.opts.Deliver(ctx, it, body)
	body.Close()
	if err == nil {
		q.log.Info("delivered", "id", it.ID.String(), "to", it.Recipient.String(), "size", it.Size, "attempts", it.Attempts+1, "took", time.Since(start).Round(time.Millisecond))
		return q.remove(it)
	}
	if isPermanent(err) {
		return q.bounce(it, err)
	}
	var held *custodyError
	if errors.As(err, &held) {
		return q.held(it, held)
	}
	return err
}

// held records a relay's custody: the row waits for the recipient's
// delivery receipt until the custody ends.
func (q *Queue) held(it mailbox.Outbound, c *custodyError) error {
	q.log.Info("relayed", "id", it.ID.String(), "to", it.Recipient.String(), "by", c.by, "until", c.until.UTC().Format(time.RFC3339))
	it.Custody, it.Custodians, it.LastError = c.until, c.by, ""
	it.Attempts++
	if err := q.opts.Store.SaveOutbound(it); err != nil && !errors.Is(err, mailbox.ErrNotFound) {
		return fmt.Errorf("record custody: %w", err)
	}
	return nil
}

// custodyDue bounces an envelope whose custody has ended without a
// delivery receipt; before that it leaves the row alone.
func (q *Queue) custodyDue(it mailbox.Outbound) {
	if time.Now().Before(it.Custody) {
		return
	}
	reason := fmt.Errorf("%w (held by %s until %s)", ErrCustodyExpired, it.Custodians, it.Custody.UTC().Format(time.RFC3339))
	if err := q.bounce(it, reason); err != nil {
		q.log.Error("bounce after custody", "id", it.ID.String(), "err", err)
	}
}

// failed records a temporary failure and returns when to try again, or
// bounces the envelope when it has waited too long.
func (q *Queue) failed(it mailbox.Outbound, cause error) time.Time {
	attempts := it.Attempts + 1
	if time.Since(it.Created) > q.opts.GiveUp {
		err := fmt.Errorf("gave up after %d attempts over %s: %w", attempts, q.opts.GiveUp, cause)
		if q.bounce(it, err) == nil {
			return time.Time{}
		}
	}
	next := time.Now().Add(jitter(Backoff(attempts, q.opts.MaxBackoff)))
	q.log.Info("delivery deferred", "id", it.ID.String(), "to", it.Recipient.String(), "attempts", attempts, "retry_in", time.Until(next).Round(time.Second), "err", cause)
	it.Attempts, it.NextAttempt, it.LastError = attempts, next, cause.Error()
	it.Notified = it.Notified || q.notify(it, cause)
	if err := q.opts.Store.SaveOutbound(it); err != nil && !errors.Is(err, mailbox.ErrNotFound) {
		q.log.Error("record failed attempt", "id", it.ID.String(), "err", err)
	}
	return next
}

// notify sends the one delay notice of an envelope older than NotifyAfter
// and reports whether it was sent.
func (q *Queue) notify(it mailbox.Outbound, cause error) bool {
	if it.Notified || q.opts.Notify == nil || time.Since(it.Created) < q.opts.NotifyAfter {
		return false
	}
	if err := q.opts.Notify(it, cause); err != nil {
		q.log.Error("write delay notice", "id", it.ID.String(), "err", err)
		return false
	}
	q.log.Info("sender told of the delay", "id", it.ID.String(), "to", it.Recipient.String())
	return true
}

func (q *Queue) bounce(it mailbox.Outbound, reason error) error {
	q.log.Warn("bounced", "id", it.ID.String(), "to", it.Recipient.String(), "reason", reason)
	if q.opts.Bounce != nil {
		if err := q.opts.Bounce(it, reason); err != nil {
			q.log.Error("write bounce", "id", it.ID.String(), "err", err)
			return fmt.Errorf("write bounce: %w", err)
		}
	}
	return q.remove(it)
}

func (q *Queue) remove(it mailbox.Outbound) error {
	if err := q.opts.Store.DeleteOutbound(it.ID); err != nil && !errors.Is(err, mailbox.ErrNotFound) {
		return fmt.Errorf("delete delivered envelope: %w", err)
	}
	return nil
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that retrying cannot fix (the recipient
// refused the envelope): the queue bounces it instead of retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// isPermanent reports whether err was marked with Permanent.
func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

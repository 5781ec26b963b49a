// Package outbox owns the delivery of the store's outbox: messages as the
// user submitted them, each row waiting for one recipient. The queue hands
// a row's message to Deliver as it is stored; Deliver seals it for the
// recipient as it sends it (node.deliver), so one row can also go in plain
// form to a classic Yggmail node.
//
// One goroutine (Run) owns the schedule. It is woken by a kick — a
// non-blocking send on a channel of buffer one — when a message is queued or
// when the mesh reports that a recipient may be reachable again, and
// otherwise sleeps until the earliest scheduled retry; it never polls.
// A recipient's messages go out in order of submission: each starts once
// Deliver has put the one before on the wire (Sent), so up to a window of
// them wait for their answers at once, pipelined on one stream; different
// recipients are served concurrently up to a bound.
//
// A message's row is deleted only after the recipient's node acknowledged
// that it stored the message durably (Deliver returned nil), or after the
// message bounced (Bounce returned nil). A crash at any point leaves the
// row in place and the message is sent again under the same envelope id;
// the recipient de-duplicates by that id.
//
// Retry schedule after a failed attempt n (1-based): MinBackoff·2^(n-1),
// capped at Options.MaxBackoff, with ±20% jitter; the attempt count is
// stored with the row so the schedule survives restarts. A message older
// than NotifyAfter that is still being tried makes the sender get one
// "delayed" notice (Notify); a message older than GiveUp bounces.
//
// Relays: Deliver may report that a relay took custody of the message
// (InCustody), sealed for the recipient. The row then stays, untried,
// until the custody ends: the recipient's delivery receipt removes it (the
// node calls Store.DeleteOutbound), and if none came by the custody's end
// the message bounces then.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/periodic"
	"github.com/yggpost/yggpost/mailbox"
)

// DeliverFunc transfers the message of one row, as the user submitted it,
// to the recipient's node (sealing it there and then, for a node that
// speaks YGGPOST), and returns nil only once the recipient acknowledged
// durable storage. An error marked with
// Permanent makes the message bounce at once; any other error is retried.
// It is called concurrently, also for one recipient (up to
// Options.Window of its rows at once): it calls Sent(ctx) once the message
// is written and only its answer is awaited, and the recipient's next row
// starts then.
type DeliverFunc func(ctx context.Context, row mailbox.Outbound, message io.Reader) error

// BounceFunc tells the sender that a message will never be delivered, for
// example by putting a delivery status notification in the INBOX. It must
// be durable when it returns nil.
type BounceFunc func(row mailbox.Outbound, reason error) error

// NotifyFunc tells the sender that a message is still being tried (an
// RFC 3464 "delayed" report). It must be durable when it returns nil.
type NotifyFunc func(row mailbox.Outbound, cause error) error

// Defaults of Options, for fields left zero.
const (
	// DefaultConcurrency is how many recipients are served at once.
	DefaultConcurrency = 8
	// DefaultWindow is how many of one recipient's messages are in
	// flight at once.
	DefaultWindow = 32
	// DefaultGiveUp is the age at which a message still undelivered
	// bounces.
	DefaultGiveUp = 5 * 24 * time.Hour
	// DefaultNotifyAfter is when the sender hears that a message is delayed.
	DefaultNotifyAfter = 4 * time.Hour
	// DefaultMaxBackoff is the longest wait between two attempts at a
	// message.
	DefaultMaxBackoff = 10 * time.Minute
)

// Options configure a Queue. Store and Deliver are required; a zero
// duration or count takes its default.
type Options struct {
	Store       *mailbox.Store
	Deliver     DeliverFunc
	Bounce      BounceFunc
	Notify      NotifyFunc // nil: no delay notices
	Logger      *slog.Logger
	Concurrency int           // recipients served at once; DefaultConcurrency
	Window      int           // one recipient's messages in flight at once; DefaultWindow
	GiveUp      time.Duration // age at which a message bounces; DefaultGiveUp
	NotifyAfter time.Duration // age of the delay notice; DefaultNotifyAfter
	MaxBackoff  time.Duration // longest wait between attempts; DefaultMaxBackoff
	// Waiting, if set, is called each time the queue lists its rows and
	// finds some waiting for delivery (not in a relay's custody), so that
	// the node looks for paths to their recipients only while there are
	// some. It must not block.
	Waiting func()
	// Deferred, if set, is called after each failed attempt that will be
	// retried (for the node's metrics). It must not block.
	Deferred func()
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.GiveUp <= 0 {
		o.GiveUp = DefaultGiveUp
	}
	if o.NotifyAfter <= 0 {
		o.NotifyAfter = DefaultNotifyAfter
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// custodyError reports that a relay holds the message.
type custodyError struct {
	until time.Time
	by    string
}

func (e *custodyError) Error() string {
	return fmt.Sprintf("held by %s until %s", e.by, e.until.UTC().Format(time.RFC3339))
}

// InCustody is what Deliver returns when it could not reach the recipient
// but a relay took custody of the message until until; by names the
// relays for the sender's notices. The queue stops trying the message.
func InCustody(until time.Time, by string) error { return &custodyError{until: until, by: by} }

// ErrCustodyExpired is the bounce reason of a message whose relay custody
// ended without a delivery receipt from the recipient.
var ErrCustodyExpired = errors.New("the recipient did not collect the message from its relay before the relay's retention ended")

// Queue delivers the store's outbox. Create it with New and start Run.
// Its options are fixed by New; the state of the schedule is sched's (see
// scheduler for which goroutine touches what).
type Queue struct {
	opts  Options
	log   *slog.Logger
	retry periodic.Backoff // the wait after a run of failed attempts
	sched *scheduler
}

// New returns a queue over opts.Store. It does nothing until Run.
func New(opts Options) *Queue {
	opts = opts.withDefaults()
	q := &Queue{opts: opts, log: opts.Logger, retry: periodic.Backoff{Min: MinBackoff, Max: opts.MaxBackoff}}
	q.sched = newScheduler(q)
	return q
}

// Wake asks the queue to look at its rows again, for example after a new
// message was queued. It never blocks.
func (q *Queue) Wake() { q.sched.ask(func(r *requests) { r.woken = true }) }

// Retry makes the queue try the recipient now, ignoring its backoff: the
// mesh says it may be reachable again, or a new message for it was queued.
// It never blocks.
func (q *Queue) Retry(recipient envelope.Address) {
	q.sched.ask(func(r *requests) { r.force[recipient] = true })
}

// Queued tells the queue that rows were queued: their recipients are tried
// now, as Retry does, and a recipient's worker that is running takes them
// into its flight. It never blocks.
func (q *Queue) Queued(rows ...mailbox.Outbound) {
	q.sched.ask(func(r *requests) {
		for _, row := range rows {
			r.force[row.Recipient] = true
			if r.fresh == nil {
				r.fresh = map[envelope.Address][]envelope.ID{}
			}
			r.fresh[row.Recipient] = append(r.fresh[row.Recipient], row.ID)
		}
	})
}

// RetryAll makes the queue try every recipient now, for example after a new
// peering link came up. It never blocks.
func (q *Queue) RetryAll() { q.sched.ask(func(r *requests) { r.all = true }) }

// Run delivers until ctx is cancelled, then waits for in-flight attempts to
// stop and returns. It must not be called again before it has returned.
func (q *Queue) Run(ctx context.Context) error {
	q.sched.run(ctx)
	return nil
}

// work sends the recipient's messages in order of submission: each one
// starts once the one before is on its way (Sent) or finished, up to
// Options.Window in flight. Messages queued for the recipient while it
// works (Queued) join the same flight (more), so a burst keeps its window
// full instead of draining it before the scheduler looks again. After a
// temporary failure it starts no more; it waits for the ones in flight
// and reports when to try again. It runs on a worker goroutine and
// touches none of the scheduler's running state.
func (q *Queue) work(ctx context.Context, rcpt envelope.Address, rows []mailbox.Outbound) result {
	var (
		mu      sync.Mutex
		next    time.Time // the earliest retry after a failure
		stopped bool
		flight  sync.WaitGroup
	)
	halted := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return stopped || ctx.Err() != nil
	}
	slots := make(chan struct{}, q.opts.Window)
	taken := map[envelope.ID]bool{}
	for batch := rows; len(batch) > 0 && !halted(); batch = q.more(rcpt, taken, halted) {
		sort.Slice(batch, func(i, j int) bool { return batch[i].Created.Before(batch[j].Created) })
		for _, row := range batch {
			taken[row.ID] = true
			if !row.Custody.IsZero() {
				q.custodyDue(row)
				continue
			}
			slots <- struct{}{}
			if halted() {
				<-slots
				break
			}
			turn := make(chan struct{})
			sent := sync.OnceFunc(func() { close(turn) })
			flight.Go(func() {
				defer func() { <-slots }()
				defer sent()
				err := q.attempt(context.WithValue(ctx, sentKey{}, sent), row)
				if err == nil {
					return
				}
				var retry time.Time
				if ctx.Err() == nil {
					retry = q.failed(row, err)
				}
				mu.Lock()
				defer mu.Unlock()
				stopped = true
				if !retry.IsZero() && (next.IsZero() || retry.Before(next)) {
					next = retry
				}
			})
			<-turn
		}
	}
	flight.Wait()
	return result{recipient: rcpt, next: next}
}

// more returns the rows queued for rcpt (Queued) that the worker has not
// taken yet, read from the store; none after a failure (halted), when
// they are left to the next worker, which finds them in the outbox.
func (q *Queue) more(rcpt envelope.Address, taken map[envelope.ID]bool, halted func() bool) []mailbox.Outbound {
	fresh := q.sched.takeFresh(rcpt)
	if halted() {
		return nil
	}
	var rows []mailbox.Outbound
	for _, id := range fresh {
		if taken[id] {
			continue
		}
		row, err := q.opts.Store.GetOutbound(id)
		switch {
		case errors.Is(err, mailbox.ErrNotFound):
			// delivered and deleted already
		case err != nil:
			q.log.Error("read queued message", "id", id.String(), "err", err)
		default:
			rows = append(rows, row)
		}
	}
	return rows
}

// sentKey carries an attempt's Sent function in its context.
type sentKey struct{}

// Sent tells the queue that the attempt running under ctx (a DeliverFunc's
// context) has put its message on the wire and now only waits for the
// answer: the recipient's next message may start. Without it the next one
// starts when this attempt has finished. Calling it again does nothing.
func Sent(ctx context.Context) {
	if sent, ok := ctx.Value(sentKey{}).(func()); ok {
		sent()
	}
}

// attempt delivers the message of one row; on success or bounce it deletes
// the row.
func (q *Queue) attempt(ctx context.Context, row mailbox.Outbound) error {
	body, err := q.opts.Store.OpenOutbound(row.ID)
	if err != nil {
		if errors.Is(err, mailbox.ErrNotFound) {
			return nil // already delivered by an earlier attempt
		}
		return fmt.Errorf("open queued message: %w", err)
	}
	start := time.Now()
	err = q.opts.Deliver(ctx, row, body)
	body.Close()
	if err == nil {
		q.log.Info("delivered", "id", row.ID.String(), "to", row.Recipient.String(), "size", row.Size, "attempts", row.Attempts+1, "took", time.Since(start).Round(time.Millisecond))
		return q.remove(row)
	}
	if isPermanent(err) {
		return q.bounce(row, err)
	}
	var held *custodyError
	if errors.As(err, &held) {
		return q.held(row, held)
	}
	return err
}

// held records a relay's custody: the row waits for the recipient's
// delivery receipt until the custody ends.
func (q *Queue) held(row mailbox.Outbound, c *custodyError) error {
	q.log.Info("relayed", "id", row.ID.String(), "to", row.Recipient.String(), "by", c.by, "until", c.until.UTC().Format(time.RFC3339))
	row.Custody, row.Custodians, row.LastError = c.until, c.by, ""
	row.Attempts++
	if err := q.opts.Store.SaveOutbound(row); err != nil && !errors.Is(err, mailbox.ErrNotFound) {
		return fmt.Errorf("record custody: %w", err)
	}
	return nil
}

// custodyDue bounces a message whose custody has ended without a
// delivery receipt; before that it leaves the row alone.
func (q *Queue) custodyDue(row mailbox.Outbound) {
	if time.Now().Before(row.Custody) {
		return
	}
	reason := fmt.Errorf("%w (held by %s until %s)", ErrCustodyExpired, row.Custodians, row.Custody.UTC().Format(time.RFC3339))
	if err := q.bounce(row, reason); err != nil {
		q.log.Error("bounce after custody", "id", row.ID.String(), "err", err)
	}
}

// failed records a temporary failure and returns when to try again, or
// bounces the message when it has waited too long.
func (q *Queue) failed(row mailbox.Outbound, cause error) time.Time {
	attempts := row.Attempts + 1
	if time.Since(row.Created) > q.opts.GiveUp {
		err := fmt.Errorf("gave up after %d attempts over %s: %w", attempts, q.opts.GiveUp, cause)
		if q.bounce(row, err) == nil {
			return time.Time{}
		}
	}
	if q.opts.Deferred != nil {
		q.opts.Deferred()
	}
	next := time.Now().Add(jitter(q.retry.Wait(attempts)))
	q.log.Info("delivery deferred", "id", row.ID.String(), "to", row.Recipient.String(), "attempts", attempts, "retry_in", time.Until(next).Round(time.Second), "err", cause)
	row.Attempts, row.NextAttempt, row.LastError = attempts, next, cause.Error()
	row.Notified = row.Notified || q.notify(row, cause)
	if err := q.opts.Store.SaveOutbound(row); err != nil && !errors.Is(err, mailbox.ErrNotFound) {
		q.log.Error("record failed attempt", "id", row.ID.String(), "err", err)
	}
	return next
}

// notify sends the one delay notice of a message older than NotifyAfter
// and reports whether it was sent.
func (q *Queue) notify(row mailbox.Outbound, cause error) bool {
	if row.Notified || q.opts.Notify == nil || time.Since(row.Created) < q.opts.NotifyAfter {
		return false
	}
	if err := q.opts.Notify(row, cause); err != nil {
		q.log.Error("write delay notice", "id", row.ID.String(), "err", err)
		return false
	}
	q.log.Info("sender told of the delay", "id", row.ID.String(), "to", row.Recipient.String())
	return true
}

func (q *Queue) bounce(row mailbox.Outbound, reason error) error {
	q.log.Warn("bounced", "id", row.ID.String(), "to", row.Recipient.String(), "reason", reason)
	if q.opts.Bounce != nil {
		if err := q.opts.Bounce(row, reason); err != nil {
			q.log.Error("write bounce", "id", row.ID.String(), "err", err)
			return fmt.Errorf("write bounce: %w", err)
		}
	}
	return q.remove(row)
}

func (q *Queue) remove(row mailbox.Outbound) error {
	if err := q.opts.Store.DeleteOutbound(row.ID); err != nil && !errors.Is(err, mailbox.ErrNotFound) {
		return fmt.Errorf("delete delivered message: %w", err)
	}
	return nil
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that retrying cannot fix (the recipient
// refused the message): the queue bounces it instead of retrying.
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

package loginguard

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/yggpost/yggpost/internal/periodic"
)

// Defaults used when an Options field is zero.
const (
	DefaultWindow       = 15 * time.Minute
	DefaultRefuseAfter  = 10
	DefaultRefuseFor    = 15 * time.Minute
	DefaultMaxAddresses = 10000
)

// The delay schedule: FreeFailures failures are answered at once, then
// each login waits FirstDelay, doubling with each further failure up to
// MaxDelay.
const (
	FreeFailures = 3
	FirstDelay   = time.Second
	MaxDelay     = 16 * time.Second
)

var delays = periodic.Backoff{Min: FirstDelay, Max: MaxDelay}

// Options configure a Guard. The zero value gives the defaults.
type Options struct {
	// Window is how long a failure counts; 0 means DefaultWindow.
	Window time.Duration
	// RefuseAfter is the number of failures within Window after which a
	// group is refused; 0 means DefaultRefuseAfter.
	RefuseAfter int
	// RefuseFor is how long a group is refused; 0 means DefaultRefuseFor.
	RefuseFor time.Duration
	// MaxAddresses bounds the address groups tracked; 0 means
	// DefaultMaxAddresses.
	MaxAddresses int

	// Logger gets one Warn line when a group starts being delayed and one
	// when it is refused; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends, returning ctx's error then; nil
	// means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o Options) withDefaults() Options {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.RefuseAfter <= 0 {
		o.RefuseAfter = DefaultRefuseAfter
	}
	if o.RefuseFor <= 0 {
		o.RefuseFor = DefaultRefuseFor
	}
	if o.MaxAddresses <= 0 {
		o.MaxAddresses = DefaultMaxAddresses
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	return o
}

// Guard keeps the recent failed logins of each address group. Its methods
// are safe for concurrent use.
type Guard struct {
	opts Options

	mu      sync.Mutex
	records *simplelru.LRU[netip.Prefix, *record]
}

// record is what a Guard knows of one address group.
type record struct {
	failures     []time.Time // within the window, oldest first
	checking     int         // Login calls started and not yet finished
	refusedUntil time.Time   // zero when not refused
}

// New returns a Guard with opts.
func New(opts Options) *Guard {
	opts = opts.withDefaults()
	records, err := simplelru.NewLRU[netip.Prefix, *record](opts.MaxAddresses, nil)
	if err != nil {
		panic(err) // unreachable: withDefaults made the size positive
	}
	return &Guard{opts: opts, records: records}
}

// Login runs check, which verifies a password that a client at remote
// sent, under the guard. While remote's group is refused it returns a
// *Refused error without running check. Otherwise it waits the group's
// delay (returning ctx's error, without running check, if ctx ends
// first), runs check and returns its error. An error from check, whatever
// it is, counts as a failed login; nil clears the group's record.
func (g *Guard) Login(ctx context.Context, remote net.Addr, check func() error) error {
	group := groupOf(remote)
	wait, err := g.begin(group)
	if err != nil {
		return err
	}
	result := abandoned // if ctx ends, or check panics
	defer func() { g.end(group, result) }()
	if wait > 0 {
		if err := g.opts.Sleep(ctx, wait); err != nil {
			return err
		}
	}
	err = check()
	result = succeeded
	if err != nil {
		result = failed
	}
	return err
}

// outcome is how a login that began ended.
type outcome int

const (
	abandoned outcome = iota // its password was not checked
	failed
	succeeded
)

// Check returns how long a login from remote must wait before its
// password is checked, or a *Refused error if it must not be checked at
// all. It records nothing; a server that does not use Login calls Failed
// or Succeeded after checking.
func (g *Guard) Check(remote net.Addr) (time.Duration, error) {
	group := groupOf(remote)
	g.mu.Lock()
	defer g.mu.Unlock()
	rec, now := g.current(group, false)
	return g.verdict(group, rec, now)
}

// Failed records a failed login from remote.
func (g *Guard) Failed(remote net.Addr) {
	group := groupOf(remote)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail(group, g.now())
}

// Succeeded records a successful login from remote, which clears its
// group's record.
func (g *Guard) Succeeded(remote net.Addr) {
	group := groupOf(remote)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.records.Remove(group)
}

// begin gives Login its verdict and, unless refused, counts it as a login
// being checked.
func (g *Guard) begin(group netip.Prefix) (time.Duration, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	rec, now := g.current(group, true)
	wait, err := g.verdict(group, rec, now)
	if err != nil {
		return 0, err
	}
	if rec == nil {
		rec = &record{}
		g.records.Add(group, rec)
	}
	rec.checking++
	return wait, nil
}

// end undoes begin and records how the login ended.
func (g *Guard) end(group netip.Prefix, result outcome) {
	g.mu.Lock()
	defer g.mu.Unlock()
	rec, now := g.current(group, true)
	if rec != nil && rec.checking > 0 { // the group may have been evicted or cleared
		rec.checking--
	}
	switch result {
	case abandoned:
		g.forgetIfIdle(group, rec, now)
	case failed:
		g.fail(group, now)
	case succeeded:
		g.records.Remove(group)
	}
}

// verdict is what a login from group meets now.
func (g *Guard) verdict(group netip.Prefix, rec *record, now time.Time) (time.Duration, error) {
	switch {
	case rec == nil:
		return 0, nil
	case now.Before(rec.refusedUntil):
		return 0, &Refused{Addr: groupText(group), Until: rec.refusedUntil}
	case len(rec.failures)+rec.checking >= g.opts.RefuseAfter:
		// Logins being checked would take the group past the threshold
		// if they fail, which is what they are likely to do.
		return 0, &Refused{Addr: groupText(group), Until: now.Add(g.opts.RefuseFor)}
	}
	return delay(len(rec.failures)), nil
}

// delay is the wait before a login checked after failures failures.
func delay(failures int) time.Duration {
	if failures < FreeFailures {
		return 0
	}
	return delays.Wait(failures - FreeFailures + 1)
}

// fail records a failure at now, and starts a refusal at the threshold.
func (g *Guard) fail(group netip.Prefix, now time.Time) {
	rec, _ := g.current(group, true)
	if rec == nil {
		rec = &record{}
		g.records.Add(group, rec)
	}
	if now.Before(rec.refusedUntil) {
		return // refused already; Check told the caller so
	}
	rec.failures = append(rec.failures, now)
	n := len(rec.failures)
	switch {
	case n >= g.opts.RefuseAfter:
		rec.failures = nil
		rec.refusedUntil = now.Add(g.opts.RefuseFor)
		g.opts.Logger.Warn("refusing logins after too many failures", "addr", groupText(group),
			"failures", n, "within", g.opts.Window, "until", rec.refusedUntil.UTC().Format(time.DateTime+" UTC"))
	case n == FreeFailures:
		g.opts.Logger.Warn("delaying logins after failures", "addr", groupText(group), "failures", n)
	}
}

// current returns group's record as of now, with failures older than the
// window dropped, or nil if nothing about it is left to remember (and then
// it is forgotten). With touch, the lookup counts as activity for the
// eviction order.
func (g *Guard) current(group netip.Prefix, touch bool) (*record, time.Time) {
	now := g.now()
	get := g.records.Peek
	if touch {
		get = g.records.Get
	}
	rec, ok := get(group)
	if !ok {
		return nil, now
	}
	horizon := now.Add(-g.opts.Window)
	i := 0
	for i < len(rec.failures) && !rec.failures[i].After(horizon) {
		i++
	}
	rec.failures = rec.failures[i:]
	if g.forgetIfIdle(group, rec, now) {
		return nil, now
	}
	return rec, now
}

// forgetIfIdle removes group's record if it holds nothing any more, and
// reports whether it did.
func (g *Guard) forgetIfIdle(group netip.Prefix, rec *record, now time.Time) bool {
	if rec == nil || len(rec.failures) > 0 || rec.checking > 0 || now.Before(rec.refusedUntil) {
		return false
	}
	g.records.Remove(group)
	return true
}

func (g *Guard) now() time.Time { return g.opts.Now() }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

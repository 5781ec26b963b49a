package loginguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
)

func TestGuessingIsDelayedThenRefused(t *testing.T) {
	h := newHarness(t, Options{})
	attacker := tcp("192.0.2.7")
	for range DefaultRefuseAfter {
		h.guess(attacker)
	}
	if got, want := h.takeWaits(), seconds(1, 2, 4, 8, 16, 16, 16); !slices.Equal(got, want) {
		t.Fatalf("waits before the 10 guesses: %v, want none for the first 3 then %v", got, want)
	}
	refusedAt := h.Now() // 63 s after the first guess: the 10 fell within the window

	checked, err := h.login(attacker, false)
	var refused *Refused
	if checked || !errors.As(err, &refused) {
		t.Fatalf("11th guess: checked %v, err %v; want a *Refused error without a check", checked, err)
	}
	if !refused.Until.Equal(refusedAt.Add(DefaultRefuseFor)) || refused.Addr != "192.0.2.7" {
		t.Errorf("refused %+v, want 192.0.2.7 until %s", refused, refusedAt.Add(DefaultRefuseFor))
	}
	if want := "too many failed logins from 192.0.2.7; try again after 12:17 UTC"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if w := h.takeWaits(); len(w) != 0 {
		t.Errorf("a refused login waited %v", w)
	}

	lines := h.logLines()
	if len(lines) != 2 ||
		!strings.Contains(lines[0], "level=WARN msg=\"delaying logins after failures\" addr=192.0.2.7 failures=3") ||
		!strings.Contains(lines[1], "level=WARN msg=\"refusing logins after too many failures\" addr=192.0.2.7 failures=10") {
		t.Errorf("logged:\n%s\nwant one Warn line when delays start and one at the refusal", strings.Join(lines, "\n"))
	}
}

func TestRefusalSkipsTheCheckAndEnds(t *testing.T) {
	h := newHarness(t, Options{})
	user := tcp("198.51.100.4")
	for range DefaultRefuseAfter {
		h.guess(user)
	}
	h.advance(DefaultRefuseFor - time.Second)
	if checked, err := h.login(user, true); checked || err == nil {
		t.Fatalf("right password during the refusal: checked %v, err %v; want refused unchecked", checked, err)
	}
	h.advance(time.Second)
	if checked, err := h.login(user, true); !checked || err != nil {
		t.Fatalf("right password once the refusal ended: checked %v, err %v", checked, err)
	}
	if got := h.takeWaits()[7:]; len(got) != 0 {
		t.Errorf("after the refusal the right password waited %v; want a fresh start", got)
	}
}

func TestOtherAddressesAreUnaffected(t *testing.T) {
	h := newHarness(t, Options{})
	for range DefaultRefuseAfter {
		h.guess(tcp("192.0.2.7"))
		h.guess(tcp("2001:db8:1:2::bad"))
	}
	h.takeWaits()
	for _, user := range []string{"192.0.2.8", "2001:db8:1:3::1", "::1", "127.0.0.1"} {
		if checked, err := h.login(tcp(user), true); !checked || err != nil {
			t.Errorf("right password from %s: checked %v, err %v", user, checked, err)
		}
	}
	if w := h.takeWaits(); len(w) != 0 {
		t.Errorf("other addresses waited %v", w)
	}
}

func TestRightPasswordWaitsThenClears(t *testing.T) {
	h := newHarness(t, Options{})
	user := tcp("203.0.113.9")
	for range 5 {
		h.guess(user)
	}
	h.takeWaits()
	if checked, err := h.login(user, true); !checked || err != nil {
		t.Fatalf("right password after 5 failures: checked %v, err %v", checked, err)
	}
	if got := h.takeWaits(); !slices.Equal(got, seconds(4)) {
		t.Errorf("right password after 5 failures waited %v, want the delay of 4 s", got)
	}
	for range FreeFailures {
		h.guess(user)
	}
	if got := h.takeWaits(); len(got) != 0 {
		t.Errorf("after a success, %d failures waited %v; want a fresh start", FreeFailures, got)
	}
	if h.records.Len() != 1 {
		t.Errorf("%d records, want 1", h.records.Len())
	}
	h.Succeeded(user)
	if h.records.Len() != 0 {
		t.Error("Succeeded left a record")
	}
}

func TestFailuresOutsideTheWindowAreForgotten(t *testing.T) {
	h := newHarness(t, Options{})
	user := tcp("192.0.2.50")
	for range 3 {
		h.guess(user)
	}
	h.advance(10 * time.Minute)
	h.guess(user) // waits 1 s
	h.guess(user) // waits 2 s
	if wait, err := h.Check(user); wait != 4*time.Second || err != nil {
		t.Fatalf("after 5 failures: Check = %s, %v; want 4s", wait, err)
	}
	h.advance(5 * time.Minute) // the first 3 are now older than 15 minutes
	if wait, err := h.Check(user); wait != 0 || err != nil {
		t.Fatalf("with 2 failures left in the window: Check = %s, %v; want no wait", wait, err)
	}
	h.advance(10 * time.Minute)
	if wait, err := h.Check(user); wait != 0 || err != nil || h.records.Len() != 0 {
		t.Fatalf("with none left: Check = %s, %v, %d records; want the record forgotten", wait, err, h.records.Len())
	}

	// Ten failures spread over more than the window never add up to ten.
	for range 20 {
		h.guess(user)
		h.advance(DefaultWindow / 5)
	}
	if _, err := h.Check(user); err != nil {
		t.Errorf("one failure every 3 minutes: %v; want no refusal", err)
	}
}

func TestIPv6IsGroupedBy64(t *testing.T) {
	h := newHarness(t, Options{})
	for i := range DefaultRefuseAfter {
		h.guess(tcp(fmt.Sprintf("2001:db8:1:2:%x::1", i+1)))
	}
	_, err := h.Check(tcp("2001:db8:1:2:ffff:ffff:ffff:ffff"))
	var refused *Refused
	if !errors.As(err, &refused) || refused.Addr != "2001:db8:1:2::/64" || !strings.Contains(err.Error(), "from 2001:db8:1:2::/64;") {
		t.Fatalf("another host of the /64: %v; want refused naming 2001:db8:1:2::/64", err)
	}
	if _, err := h.Check(tcp("2001:db8:1:3::1")); err != nil {
		t.Errorf("the next /64: %v", err)
	}

	for range DefaultRefuseAfter {
		h.guess(tcp("::ffff:192.0.2.9"))
	}
	if _, err := h.Check(tcp("192.0.2.9")); !errors.As(err, &refused) || refused.Addr != "192.0.2.9" {
		t.Errorf("IPv4 after failures as IPv4-mapped IPv6: %v; want the same group", err)
	}
	if _, err := h.Check(tcp("192.0.2.10")); err != nil {
		t.Errorf("the next IPv4 address: %v", err)
	}
}

func TestAddressesThatAreNotIPShareAGroup(t *testing.T) {
	h := newHarness(t, Options{RefuseAfter: 2})
	pipe, _ := net.Pipe()
	defer pipe.Close()
	h.guess(pipe.RemoteAddr())
	h.guess(&net.UnixAddr{Name: "/run/yggpost.sock", Net: "unix"})
	_, err := h.Check(nil)
	var refused *Refused
	if !errors.As(err, &refused) || refused.Addr != "an address that is not IP" {
		t.Errorf("after failures from a pipe and a socket: %v", err)
	}
	if _, err := h.Check(tcp("127.0.0.1")); err != nil {
		t.Errorf("loopback TCP: %v", err)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	const max = 100
	h := newHarness(t, Options{MaxAddresses: max})
	addr := func(i int) net.Addr { return tcp(fmt.Sprintf("10.0.%d.%d", i/256, i%256)) }
	for i := range 2 * max {
		for range FreeFailures {
			h.Failed(addr(i))
		}
		if n := h.records.Len(); n > max {
			t.Fatalf("%d records after %d addresses, want at most %d", n, i+1, max)
		}
	}
	if wait, _ := h.Check(addr(0)); wait != 0 {
		t.Errorf("the oldest address waits %s; want it forgotten", wait)
	}
	if wait, _ := h.Check(addr(2*max - 1)); wait != FirstDelay {
		t.Errorf("the newest address waits %s; want %s", wait, FirstDelay)
	}
}

func TestManualCheckFailedSucceeded(t *testing.T) {
	h := newHarness(t, Options{})
	user := tcp("192.0.2.20")
	var waits []time.Duration
	for range DefaultRefuseAfter {
		wait, err := h.Check(user)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, wait)
		h.Failed(user)
	}
	if want := append(seconds(0, 0, 0), seconds(1, 2, 4, 8, 16, 16, 16)...); !slices.Equal(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	if _, err := h.Check(user); err == nil {
		t.Fatal("not refused after 10 failures")
	}
	h.Succeeded(user)
	if wait, err := h.Check(user); wait != 0 || err != nil {
		t.Errorf("after Succeeded: %s, %v", wait, err)
	}
}

func TestLoginStopsWaitingWhenTheContextEnds(t *testing.T) {
	g := New(Options{Now: func() time.Time { return t0 }}) // the real Sleep
	user := tcp("192.0.2.30")
	for range FreeFailures {
		g.Failed(user)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := g.Login(ctx, user, func() error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("Login with an ended context: %v, check ran %v; want context.Canceled before the check", err, ran)
	}
	rec, _ := g.records.Peek(groupOf(user))
	if rec.checking != 0 || len(rec.failures) != FreeFailures {
		t.Errorf("after an abandoned login: %d being checked, %d failures; want 0 and %d", rec.checking, len(rec.failures), FreeFailures)
	}
	if err := sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("sleep: %v", err)
	}
}

func TestLoginRecoversFromAPanickingCheck(t *testing.T) {
	h := newHarness(t, Options{})
	user := tcp("192.0.2.31")
	func() {
		defer func() { recover() }()
		h.Login(context.Background(), user, func() error { panic("bug") })
	}()
	if h.records.Len() != 0 {
		t.Error("a panicking check left its login counted as being checked")
	}
}

// TestParallelGuessesStopAtTheThreshold sends many guesses from one
// address at once: no more than RefuseAfter of them may be checked.
func TestParallelGuessesStopAtTheThreshold(t *testing.T) {
	h := newHarness(t, Options{})
	attacker := tcp("192.0.2.40")
	const guesses = 50
	release := make(chan struct{})
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(free) // so that no goroutine outlives a failed test
	var started atomic.Int32
	results := make(chan error, guesses)
	for range guesses {
		go func() {
			results <- h.Login(context.Background(), attacker, func() error {
				started.Add(1)
				<-release
				return errWrongPassword
			})
		}()
	}
	// The refused guesses return while the others are held in their
	// check; then release those.
	for range guesses - DefaultRefuseAfter {
		err := testkit.Receive(t, 5*time.Second, "a refused guess", results, nil)
		var r *Refused
		if !errors.As(err, &r) {
			t.Fatalf("a guess returned %v while the checks were held", err)
		}
	}
	free()
	for range DefaultRefuseAfter {
		if err := testkit.Receive(t, 5*time.Second, "a checked guess", results, nil); !errors.Is(err, errWrongPassword) {
			t.Errorf("a checked guess returned %v", err)
		}
	}
	if n := started.Load(); n != DefaultRefuseAfter {
		t.Errorf("%d guesses checked, want %d", n, DefaultRefuseAfter)
	}
	if _, err := h.Check(attacker); err == nil {
		t.Error("not refused after the parallel guesses")
	}
}

// TestConcurrentUse runs every method from many goroutines over a small
// table, for the race detector.
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, Options{MaxAddresses: 8, RefuseAfter: 5})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				remote := tcp(fmt.Sprintf("192.0.2.%d", (w*7+i)%16))
				switch i % 5 {
				case 0:
					h.Check(remote)
				case 1:
					h.Failed(remote)
				case 2:
					h.Succeeded(remote)
				default:
					h.login(remote, i%2 == 0)
				}
				h.advance(time.Second)
			}
		})
	}
	wg.Wait()
	if n := h.records.Len(); n > 8 {
		t.Errorf("%d records, want at most 8", n)
	}
	h.Guard.mu.Lock()
	defer h.Guard.mu.Unlock()
	for _, group := range h.records.Keys() {
		if rec, _ := h.records.Peek(group); rec.checking != 0 {
			t.Errorf("%s: %d logins still counted as being checked", group, rec.checking)
		}
	}
}

func TestRefusedMessageRoundsUp(t *testing.T) {
	for _, tc := range []struct {
		until time.Time
		want  string
	}{
		{time.Date(2027, 1, 2, 15, 4, 0, 0, time.UTC), "15:04 UTC"},
		{time.Date(2027, 1, 2, 15, 4, 0, 1, time.UTC), "15:05 UTC"},
		{time.Date(2027, 1, 2, 23, 59, 30, 0, time.UTC), "00:00 UTC"},
		{time.Date(2027, 1, 2, 17, 4, 0, 0, time.FixedZone("CEST", 2*3600)), "15:04 UTC"},
	} {
		err := &Refused{Addr: "192.0.2.7", Until: tc.until}
		if want := "too many failed logins from 192.0.2.7; try again after " + tc.want; err.Error() != want {
			t.Errorf("Until %s: %q, want %q", tc.until, err, want)
		}
	}
}

package periodic

import (
	"math"
	"testing"
	"time"
)

func TestBackoffDoublesUpToItsCap(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name  string
		sched Backoff
		want  []time.Duration // after 1, 2, 3 … failures
	}{
		{"the queue's", Backoff{Min: 2 * time.Second, Max: 10 * time.Minute},
			[]time.Duration{2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 64 * s, 128 * s, 256 * s, 512 * s, 10 * time.Minute, 10 * time.Minute}},
		{"a relay session's reconnection", Backoff{Min: time.Second, Max: time.Minute},
			[]time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, time.Minute, time.Minute}},
		{"a minimum above the cap", Backoff{Min: time.Hour, Max: time.Minute},
			[]time.Duration{time.Minute, time.Minute}},
	} {
		for i, want := range tc.want {
			if got := tc.sched.Wait(i + 1); got != want {
				t.Errorf("%s: Wait(%d) = %s, want %s", tc.name, i+1, got, want)
			}
		}
	}
}

func TestBackoffEdges(t *testing.T) {
	q := Backoff{Min: 2 * time.Second, Max: 10 * time.Minute}
	if got := q.Wait(0); got != 2*time.Second {
		t.Errorf("Wait(0) = %s, want the first wait %s", got, 2*time.Second)
	}
	if got := q.Wait(math.MaxInt); got != 10*time.Minute {
		t.Errorf("Wait(MaxInt) = %s, want the cap", got)
	}
	huge := Backoff{Min: time.Second, Max: math.MaxInt64}
	if got := huge.Wait(100); got != math.MaxInt64 {
		t.Errorf("a cap near the largest duration: Wait(100) = %s, want the cap (no overflow)", got)
	}
	if got := (Backoff{Max: time.Minute}).Wait(math.MaxInt); got != 0 {
		t.Errorf("a zero minimum: Wait = %s, want 0", got)
	}
}

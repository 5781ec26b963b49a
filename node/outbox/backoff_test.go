package outbox

import (
	"math"
	"testing"
	"time"
)

func TestScheduleDoublesUpToItsCap(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name  string
		sched Schedule
		want  []time.Duration // after 1, 2, 3 … failures
	}{
		{"the queue's", Schedule{Min: MinBackoff, Max: DefaultMaxBackoff},
			[]time.Duration{2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 64 * s, 128 * s, 256 * s, 512 * s, 10 * time.Minute, 10 * time.Minute}},
		{"a relay session's reconnection", Schedule{Min: time.Second, Max: time.Minute},
			[]time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, time.Minute, time.Minute}},
		{"a minimum above the cap", Schedule{Min: time.Hour, Max: time.Minute},
			[]time.Duration{time.Minute, time.Minute}},
	} {
		for i, want := range tc.want {
			if got := tc.sched.Wait(i + 1); got != want {
				t.Errorf("%s: Wait(%d) = %s, want %s", tc.name, i+1, got, want)
			}
		}
	}
}

func TestScheduleEdges(t *testing.T) {
	q := Schedule{Min: MinBackoff, Max: DefaultMaxBackoff}
	if got := q.Wait(0); got != MinBackoff {
		t.Errorf("Wait(0) = %s, want the first wait %s", got, MinBackoff)
	}
	if got := q.Wait(math.MaxInt); got != DefaultMaxBackoff {
		t.Errorf("Wait(MaxInt) = %s, want the cap", got)
	}
	huge := Schedule{Min: time.Second, Max: math.MaxInt64}
	if got := huge.Wait(100); got != math.MaxInt64 {
		t.Errorf("a cap near the largest duration: Wait(100) = %s, want the cap (no overflow)", got)
	}
	if got := (Schedule{Max: time.Minute}).Wait(math.MaxInt); got != 0 {
		t.Errorf("a zero minimum: Wait = %s, want 0", got)
	}
}

package outbox

import (
	"math/rand/v2"
	"time"
)

// MinBackoff is the queue's wait after the first failed attempt at a
// message; each further failure doubles it, up to Options.MaxBackoff.
const MinBackoff = 2 * time.Second

// Schedule is an exponential backoff: the wait after the first of a run of
// failures is Min, and each further failure doubles it, up to Max. Max
// bounds every wait, Min included.
//
// A caller counts its consecutive failures and asks for the wait after
// them; it keeps no wait of its own to feed back in.
type Schedule struct {
	Min, Max time.Duration
}

// Wait returns the wait after failures consecutive failures, without
// jitter. A count below one reads as one.
func (s Schedule) Wait(failures int) time.Duration {
	d := min(s.Min, s.Max)
	for n := 1; n < failures && d > 0; n++ {
		if d > s.Max/2 {
			return s.Max // doubling would pass the cap (or overflow)
		}
		d *= 2
	}
	return d
}

// Backoff returns the queue's wait after attempts failed attempts at a
// message, without jitter: Schedule{MinBackoff, max}.Wait(attempts), so
// 2s, 4s, 8s … up to max. Its first wait is at most two seconds whatever
// max is: it cannot stretch a wait that a caller grows itself.
//
// Deprecated: use Schedule, which names both ends of the sequence.
func Backoff(attempts int, max time.Duration) time.Duration {
	return Schedule{Min: MinBackoff, Max: max}.Wait(attempts)
}

// jitter spreads d by ±20%, so that senders that failed together do not
// retry together.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

package periodic

import "time"

// Backoff is an exponential backoff: the wait after the first of a run of
// failures is Min, and each further failure doubles it, up to Max. Max
// bounds every wait, Min included.
//
// A caller counts its consecutive failures and asks for the wait after
// them; it keeps no wait of its own to feed back in.
type Backoff struct {
	Min, Max time.Duration
}

// Wait returns the wait after failures consecutive failures, without
// jitter. A count below one reads as one.
func (b Backoff) Wait(failures int) time.Duration {
	d := min(b.Min, b.Max)
	for n := 1; n < failures && d > 0; n++ {
		if d > b.Max/2 {
			return b.Max // doubling would pass the cap (or overflow)
		}
		d *= 2
	}
	return d
}

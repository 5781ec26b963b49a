package outbox

import (
	"math/rand/v2"
	"time"
)

// MinBackoff is the queue's wait after the first failed attempt at a
// message; each further failure doubles it, up to Options.MaxBackoff.
const MinBackoff = 2 * time.Second

// jitter spreads d by ±20%, so that senders that failed together do not
// retry together.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

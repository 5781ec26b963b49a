package relay

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/yggpost/yggpost/envelope"
)

// limiter is a token bucket per depositor: perMinute tokens a minute, at
// most perMinute saved up, perMinute given with each call (members of the
// relay get more than strangers). It lives in memory only and remembers at
// most rateTracked depositors (the least recently seen are forgotten).
type limiter struct {
	mu      sync.Mutex
	buckets *lru.Cache[envelope.Address, *bucket]
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter() *limiter {
	c, _ := lru.New[envelope.Address, *bucket](rateTracked) // fails only for a size ≤ 0
	return &limiter{buckets: c}
}

// allow takes one token for a at time now from a bucket of perMinute
// (negative: unlimited), reporting whether there was one.
func (l *limiter) allow(a envelope.Address, now time.Time, perMinute int) bool {
	if perMinute < 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets.Get(a)
	if !ok {
		b = &bucket{tokens: float64(perMinute), last: now}
		l.buckets.Add(a, b)
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens += el.Minutes() * float64(perMinute)
		b.last = now
	}
	b.tokens = min(float64(perMinute), b.tokens)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

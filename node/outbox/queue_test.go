package outbox

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestJitterStaysWithinTwentyPercent(t *testing.T) {
	d := 10 * time.Second
	seen := map[time.Duration]bool{}
	for range 1000 {
		j := jitter(d)
		if j < 8*time.Second || j > 12*time.Second {
			t.Fatalf("jitter(%s) = %s, outside ±20%%", d, j)
		}
		seen[j] = true
	}
	if len(seen) < 100 {
		t.Errorf("jitter produced only %d distinct waits in 1000 draws", len(seen))
	}
}

func TestPermanentMarking(t *testing.T) {
	base := errors.New("550 no such user")
	if isPermanent(base) {
		t.Error("an unmarked error counts as permanent")
	}
	p := fmt.Errorf("deliver: %w", Permanent(base))
	if !isPermanent(p) {
		t.Error("a wrapped Permanent error is not permanent")
	}
	if !errors.Is(p, base) {
		t.Error("Permanent hides the cause from errors.Is")
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
}

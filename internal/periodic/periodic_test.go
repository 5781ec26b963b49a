package periodic

import (
	"context"
	"testing"
	"time"
)

func TestEveryCallsUntilTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan struct{}, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(ctx, time.Millisecond, func() { calls <- struct{}{} })
	}()
	for i := range 3 {
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("call %d did not come", i+1)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Every did not return after the context ended")
	}
}

func TestWhileStopsWhenThereIsNoWorkAndCountsTicks(t *testing.T) {
	before := Ticks()
	calls := 0
	While(context.Background(), time.Millisecond, func() bool { calls++; return calls < 3 })
	if calls != 3 {
		t.Errorf("fn called %d times, want 3: While stops on the first false", calls)
	}
	if got := Ticks() - before; got < 3 {
		t.Errorf("Ticks grew by %d, want at least 3", got)
	}
}

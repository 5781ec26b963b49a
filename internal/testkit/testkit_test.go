package testkit

import (
	"testing"
	"time"
)

func TestPoll(t *testing.T) {
	n := 0
	if !Poll(time.Second, func() bool { n++; return n == 3 }) {
		t.Fatal("Poll gave up on a condition that became true")
	}
	if Poll(50*time.Millisecond, func() bool { return false }) {
		t.Fatal("Poll reported a condition that never held")
	}
}

func TestReceive(t *testing.T) {
	ch := make(chan int, 3)
	ch <- 1
	ch <- 2
	ch <- 3
	if v := Receive(t, time.Second, "an even value", ch, func(v int) bool { return v%2 == 0 }); v != 2 {
		t.Fatalf("Receive returned %d, want 2", v)
	}
	if v := Receive(t, time.Second, "any value", ch, nil); v != 3 {
		t.Fatalf("Receive returned %d, want 3", v)
	}
}

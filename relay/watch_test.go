package relay

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func receive(t *testing.T, ch <-chan envelope.ID) envelope.ID {
	t.Helper()
	select {
	case id, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed")
		}
		return id
	case <-time.After(10 * time.Second):
		t.Fatal("no id within 10 s")
	}
	return envelope.ID{}
}

// mustClose waits for ch to be closed; ids still buffered are skipped.
func mustClose(t *testing.T, ch <-chan envelope.ID, what string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, open := <-ch:
			if !open {
				return
			}
		case <-deadline:
			t.Fatalf("%s: watcher not closed within 10 s", what)
		}
	}
}

func TestWatch(t *testing.T) {
	r, _, _ := testRelay(t, func(o *Options) { o.MaxWatchers = 2 })
	register(t, r, bobKey, "")
	register(t, r, carolKey, "")
	ch, stop, err := r.Watch(bobAddr)
	if err != nil {
		t.Fatal(err)
	}
	toCarol, _ := seal(t, aliceKey, carolAddr, []byte("c"))
	deposit(t, r, toCarol)
	env, id := seal(t, aliceKey, bobAddr, []byte("b"))
	done := make(chan error, 1)
	go func() {
		_, err := r.Deposit(aliceAddr, int64(len(env)), bytes.NewReader(env))
		done <- err
	}()
	if got := receive(t, ch); got != id {
		t.Fatalf("watch gave %s, want %s (carol's id must not show)", got, id)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	deposit(t, r, env) // a duplicate is not news
	select {
	case got := <-ch:
		t.Fatalf("duplicate notified: %s", got)
	default:
	}
	if _, _, err := r.Watch(bobAddr); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Watch(bobAddr); !errors.Is(err, ErrTooManyWatchers) {
		t.Fatalf("third watcher: %v", err)
	}
	stop()
	stop()
	mustClose(t, ch, "stop")
	if _, _, err := r.Watch(bobAddr); err != nil {
		t.Fatalf("watch after stop freed a place: %v", err)
	}
}

func TestWatchOverflowAndClose(t *testing.T) {
	r, _, _ := testRelay(t, func(o *Options) { o.MemberEnvelopes = WatchBuffer + 10 })
	register(t, r, bobKey, "")
	ch, stop, err := r.Watch(bobAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for range WatchBuffer + 1 {
		env, _ := seal(t, aliceKey, bobAddr, nil)
		deposit(t, r, env)
	}
	n := 0
	deadline := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-ch:
			if open {
				n++
			}
		case <-deadline:
			t.Fatalf("overflowing watcher still open after %d ids", n)
		}
	}
	if n != WatchBuffer {
		t.Fatalf("overflowing watcher gave %d ids before closing, want %d", n, WatchBuffer)
	}
	ch2, _, err := r.Watch(bobAddr)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	mustClose(t, ch2, "Close")
	if _, _, err := r.Watch(bobAddr); !errors.Is(err, ErrClosed) {
		t.Fatalf("Watch after Close: %v", err)
	}
	if _, err := r.Deposit(aliceAddr, 300, bytes.NewReader(nil)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Deposit after Close: %v", err)
	}
}

package transport

import (
	"runtime"
	"testing"
	"time"
)

// TestCloseStopsGoroutines runs two peered nodes with traffic, closes them
// and checks that only the documented goroutine per Mesh (blocked in
// yggquic's Accept) remains.
func TestCloseStopsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	a, err := New(Config{PrivateKey: newKey(t), Listen: []string{"tcp://127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{PrivateKey: newKey(t), Peers: a.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	serveEcho(a)
	dialEcho(t, b, a.PublicKey(), "some traffic")

	for _, m := range []*Mesh{b, a} {
		done := make(chan error, 1)
		go func() { done <- m.Close() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("close: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Close did not return within 10s")
		}
	}
	if _, _, err := a.Accept(); err != ErrClosed {
		t.Fatalf("Accept after Close: %v, want ErrClosed", err)
	}
	if _, ok := <-a.Reachable(); ok {
		t.Fatal("Reachable still open after Close")
	}
	const allowed = 2 // one blocked yggquic Accept per Mesh
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before+allowed {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package imapd

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/clientsec"
	"github.com/yggpost/yggpost/internal/loginguard"
	"github.com/yggpost/yggpost/mailbox"
)

// A burst of wrong passwords from one address is slowed down (the guard's
// delays, recorded instead of slept) and then refused with NO [UNAVAILABLE]
// and a reason; the right password from another address logs in at once.
func TestLoginGuardSlowsAndRefusesGuessing(t *testing.T) {
	var mu sync.Mutex
	var waited []time.Duration
	guard := loginguard.New(loginguard.Options{Sleep: func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waited = append(waited, d)
		mu.Unlock()
		return nil
	}})
	st, err := mailbox.Open(t.TempDir(), mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Store: st, Authenticate: checkTestLogin, Guard: guard, Policy: clientsec.Policy{AllowPlain: true}})
	t.Cleanup(func() { srv.Close(); st.Close() })
	listen := func(from string) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(fromListener{Listener: l, from: &net.TCPAddr{IP: net.ParseIP(from), Port: 1}})
		return l.Addr().String()
	}
	attacker, user := listen("198.51.100.9"), listen("192.0.2.7")

	rc := dialRaw(t, attacker)
	var last string
	for i := range 11 {
		got := rc.untilTagged("a", "LOGIN "+testUser+" wrong"+string(rune('a'+i)))
		last = got[len(got)-1]
	}
	if !strings.HasPrefix(last, "a NO [UNAVAILABLE]") || !strings.Contains(last, "198.51.100.9") {
		t.Errorf("the 11th wrong password: %q; want NO [UNAVAILABLE] naming the address", last)
	}
	got := rc.untilTagged("b", "LOGIN "+testUser+` "`+testPass+`"`)
	if !strings.HasPrefix(got[len(got)-1], "b NO [UNAVAILABLE]") {
		t.Errorf("the right password from the refused address: %q; want it refused unchecked", got)
	}
	mu.Lock()
	delays := append([]time.Duration(nil), waited...)
	mu.Unlock()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 16 * time.Second, 16 * time.Second}
	if len(delays) != len(want) {
		t.Fatalf("delays %v, want %v (none for the first 3 failures)", delays, want)
	}
	for i := range want {
		if delays[i] != want[i] {
			t.Errorf("delay %d: %v, want %v", i, delays[i], want[i])
		}
	}

	other := dialRaw(t, user)
	if got := other.untilTagged("c", "LOGIN "+testUser+` "`+testPass+`"`); !strings.HasPrefix(got[len(got)-1], "c OK") {
		t.Errorf("the right password from another address: %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waited) != len(want) {
		t.Errorf("the login from another address waited: %v", waited[len(want):])
	}
}

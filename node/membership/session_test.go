package membership

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/peer"
)

// absentMesh reaches nobody: every dial fails at once, as for a relay that
// is down or refuses the member.
type absentMesh struct{}

func (absentMesh) Dial(context.Context, ed25519.PublicKey) (net.Conn, error) {
	return nil, errors.New("no route")
}
func (absentMesh) ResetPeer(ed25519.PublicKey) bool { return false }

func testKey(t *testing.T, seed byte) (ed25519.PrivateKey, envelope.Address) {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	a, err := envelope.AddressFromKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return key, a
}

// TestReconnectBacksOffToAMinute: a relay that cannot be reached (or that
// refuses the member) is tried again after 1 s, then 2 s, 4 s … up to one
// minute between attempts (docs/protocol.md 10.8), not every 2 s for ever.
func TestReconnectBacksOffToAMinute(t *testing.T) {
	key, self := testKey(t, 1)
	_, relayAddr := testKey(t, 2)
	m, err := New(Options{
		Key:    key,
		Relays: []Relay{{Address: relayAddr}},
		Dialer: &peer.Dialer{Mesh: absentMesh{}, Client: peer.Client{Local: self}},
		Reach:  time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		want[i] *= time.Second
	}
	waits := make(chan time.Duration)
	mb := m.members[0]
	mb.after = func(d time.Duration) <-chan time.Time {
		waits <- d
		fired := make(chan time.Time, 1)
		fired <- time.Now()
		return fired
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); mb.run(ctx) }()
	var got []time.Duration
	for len(got) < len(want) {
		select {
		case d := <-waits:
			got = append(got, d)
		case <-time.After(10 * time.Second):
			t.Fatalf("waits so far %v; no further attempt", got)
		}
	}
	cancel()
	go func() {
		for range waits {
		}
	}()
	<-done
	if !slices.Equal(got, want) {
		t.Fatalf("waits between attempts %v, want %v", got, want)
	}
}

func TestRecordNamesTheRelays(t *testing.T) {
	key, self := testKey(t, 1)
	_, r1 := testKey(t, 2)
	_, r2 := testKey(t, 3)
	m, err := New(Options{Key: key, Relays: []Relay{{Address: r1}, {Address: r2, Invite: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsRelay(r2) || m.IsRelay(self) {
		t.Fatal("IsRelay is wrong")
	}
	if m.Record() == nil {
		t.Fatal("no relay record signed at start")
	}
	none, err := New(Options{Key: key})
	if err != nil || none.Record() != nil {
		t.Fatalf("a node without relays has a record: %v", err)
	}
}

// TestSetRelaysWhileRunning: relays can be added and removed while the
// membership runs; the record names the new list and each relay gets a
// session loop of its own, which ends when the relay is removed.
func TestSetRelaysWhileRunning(t *testing.T) {
	key, self := testKey(t, 1)
	_, r1 := testKey(t, 2)
	_, r2 := testKey(t, 3)
	m, err := New(Options{Key: key, Dialer: &peer.Dialer{Mesh: absentMesh{}, Client: peer.Client{Local: self}}, Reach: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	if err := m.SetRelays([]Relay{{Address: r1}, {Address: r2}}); err != nil {
		t.Fatal(err)
	}
	if !m.IsRelay(r1) || !m.IsRelay(r2) || m.Record() == nil {
		t.Fatal("the new relays are not in effect")
	}
	first := m.members[0]
	if err := m.SetRelays([]Relay{{Address: r1}}); err != nil {
		t.Fatal(err)
	}
	if m.IsRelay(r2) || len(m.members) != 1 || m.members[0] != first {
		t.Fatal("removing a relay did not keep the session of the other")
	}
	if err := m.SetRelays(nil); err != nil || m.Record() != nil {
		t.Fatalf("with no relays the node still has a record (%v)", err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

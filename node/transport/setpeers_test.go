package transport

import (
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
)

// outboundUp reports whether m has an outbound link that is up.
func outboundUp(m *Mesh) bool {
	for _, p := range m.Peers() {
		if p.Up && !p.Inbound {
			return true
		}
	}
	return false
}

// TestSetPeersWhileRunning: a node started without peers reaches another
// once it is given it as a peer, and drops the link when it is taken away;
// a malformed list changes nothing.
func TestSetPeersWhileRunning(t *testing.T) {
	t.Parallel()
	a := startMesh(t, newKey(t))
	b := startMesh(t, newKey(t))
	serveEcho(a)
	if err := b.SetPeers([]string{a.ListenAddrs()[0], "ftp://nowhere:1"}); err == nil {
		t.Fatal("a list with a bad URL was taken")
	}
	if len(b.peers) != 0 {
		t.Fatalf("a refused list changed the peers to %v", b.peers)
	}
	if err := b.SetPeers([]string{a.ListenAddrs()[0]}); err != nil {
		t.Fatalf("set peers: %v", err)
	}
	waitEvent(t, b, nil, 10*time.Second)
	testkit.Receive(t, 10*time.Second, "a link change on b", b.LinkChanges(), func(struct{}) bool { return true })
	// Each end counts the link when its own handshake is done.
	testkit.WaitFor(t, 10*time.Second, "both ends to count the link up", func() bool {
		return a.LinksUp() == 1 && b.LinksUp() == 1
	})
	dialEcho(t, b, a.PublicKey(), "through the new peer")
	b.RetryPeers() // an up link stays up
	if err := b.SetPeers(nil); err != nil {
		t.Fatalf("clear peers: %v", err)
	}
	testkit.WaitFor(t, 10*time.Second, "the removed link to go down", func() bool { return !outboundUp(b) })
	// Both ends hear the link end: the one that dropped it and the one
	// that had accepted it.
	testkit.WaitFor(t, 10*time.Second, "both ends to count the link down", func() bool {
		return a.LinksUp() == 0 && b.LinksUp() == 0
	})
	testkit.Receive(t, time.Second, "a link change on a", a.LinkChanges(), func(struct{}) bool { return true })
}

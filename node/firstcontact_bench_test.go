package node_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/nodetest"
)

// First contact at the node level: how soon after a node starts its first
// message moves. Both benchmarks stand the hub (or relay) in for a node of
// an established mesh: it has the lowest key of the nodes involved, so it
// stays on the path to the tree's root as a long-running node would, and it
// has been up for 0, 250, 500 or 750 ms (in turn) when the others start,
// because the mesh routers' once-a-second rounds run at a phase set by each
// node's start. The figures are in docs/performance.md.

// orderedDBs creates n node databases and returns them ordered by the
// nodes' keys, lowest first.
func orderedDBs(b *testing.B, n int) []string {
	b.Helper()
	dbs := make([]string, n)
	addrs := map[string]envelope.Address{}
	for i := range dbs {
		dbs[i] = b.TempDir()
		addrs[dbs[i]] = keyAddress(b, nodeKey(b, dbs[i]))
	}
	slices.SortFunc(dbs, func(x, y string) int {
		ax, ay := addrs[x], addrs[y]
		return bytes.Compare(ax[:], ay[:])
	})
	return dbs
}

// hubPhase waits, outside the timer, for iteration i's phase of the hub.
func hubPhase(i int) {
	<-time.After(time.Duration(i%4) * 250 * time.Millisecond)
}

// waitStored waits until tn's INBOX holds want messages, checking every
// 20 ms over one IMAP connection opened beforehand.
func waitStored(b *testing.B, tn *nodetest.Node, want int, within time.Duration) {
	b.Helper()
	c := tn.IMAP()
	defer c.Close()
	testkit.WaitFor(b, within, fmt.Sprintf("%d messages in %s's INBOX", want, tn.Name), func() bool {
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			b.Fatalf("STATUS INBOX on %s: %v", tn.Name, err)
		}
		return int(*st.NumMessages) >= want
	})
}

// BenchmarkFirstContact: Alice and Bob start at the same moment, each
// peered only with a hub; Alice sends Bob one message as soon as her node
// is ready. Measured from the start of the two nodes until the message is
// in Bob's INBOX.
func BenchmarkFirstContact(b *testing.B) {
	for i := range b.N {
		b.StopTimer()
		dbs := orderedDBs(b, 3)
		hub := nodetest.Start(b, "hub", nodetest.Options{DB: dbs[0], Listen: true, Quiet: true})
		aliceDB, bobDB := dbs[1], dbs[2]
		if i%2 == 1 {
			aliceDB, bobDB = bobDB, aliceDB
		}
		hubPhase(i)
		b.StartTimer()
		start := time.Now()
		alice := nodetest.Start(b, "alice", nodetest.Options{DB: aliceDB, Peers: []string{hub.MeshURL()}, Quiet: true})
		bob := nodetest.Start(b, "bob", nodetest.Options{DB: bobDB, Peers: []string{hub.MeshURL()}, Quiet: true})
		alice.MustSend(bob.Addr, nodetest.Message(alice.Addr, bob.Addr, fmt.Sprintf("first contact %d", i), "hello\r\n"))
		waitStored(b, bob, 1, 60*time.Second)
		b.StopTimer()
		b.Logf("iteration %d: %v", i, time.Since(start).Round(time.Millisecond))
		bob.Stop()
		alice.Stop()
		hub.Stop()
		b.StartTimer()
	}
}

// BenchmarkFirstHandOver: one message from Alice waits at relay R for Bob,
// a member of R whose node is stopped; Bob's node starts, peered with R.
// Measured from the start of Bob's node until the message is in his INBOX.
// R has been up for a few seconds by then, at whatever phase of its routing
// rounds that gives.
func BenchmarkFirstHandOver(b *testing.B) {
	for i := range b.N {
		b.StopTimer()
		dbs := orderedDBs(b, 3)
		r := nodetest.Start(b, "relay", nodetest.Options{DB: dbs[0], Listen: true, Quiet: true, Relay: benchRelayOptions()})
		bobOpts := nodetest.Options{DB: dbs[1], Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}, Quiet: true}
		bob := nodetest.Start(b, "bob", bobOpts)
		waitUntil(b, 150*time.Second, "bob to be a member of R", func() bool { return r.RelayStatus().Members == 1 })
		bob.Stop()
		alice := nodetest.Start(b, "alice", nodetest.Options{DB: dbs[2], Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}, Quiet: true})
		alice.MustSend(bob.Addr, nodetest.Message(alice.Addr, bob.Addr, fmt.Sprintf("hand-over %d", i), "hello\r\n"))
		waitUntil(b, 60*time.Second, "R to hold the message", func() bool { return r.RelayStatus().Envelopes == 1 })
		alice.Stop()
		b.StartTimer()
		start := time.Now()
		bob = nodetest.Start(b, "bob", bobOpts)
		waitStored(b, bob, 1, 60*time.Second)
		b.StopTimer()
		b.Logf("iteration %d: %v", i, time.Since(start).Round(time.Millisecond))
		bob.Stop()
		r.Stop()
		b.StartTimer()
	}
}

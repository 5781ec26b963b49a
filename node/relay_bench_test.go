package node_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
	"github.com/yggpost/yggpost/relay"
)

// Relay benchmarks at the node level (issue 4, proof 7): a member that
// comes online to 10,000 pending envelopes, and deposits through the wire.
// Both run every node in this process over real Yggdrasil peerings on
// loopback; figures are in docs/performance.md.

// nodeSeedSetting is the mailbox setting under which a node keeps its key
// seed (node/identity.go). The benchmark reads it to fill a relay's store
// before the relay runs; a rename shows up as a clear failure here.
const nodeSeedSetting = "node.ed25519-seed"

// benchRelayOptions is an open relay with forwarding whose limits do not
// get in the way of a benchmark: no deposit rate limit, room for 10,000
// envelopes per member.
func benchRelayOptions() *relay.Options {
	return &relay.Options{Policy: relay.PolicyOpen, Forward: true, DepositRate: -1, MemberEnvelopes: 50000}
}

// nodeKey creates a node database in dir (node.Open creates the key) and
// returns the node's private key as the node itself will load it.
func nodeKey(b *testing.B, dir string) ed25519.PrivateKey {
	b.Helper()
	n, err := node.Open(node.Config{Database: dir})
	if err != nil {
		b.Fatalf("open node in %s: %v", dir, err)
	}
	addr := n.Address()
	if err := n.Close(); err != nil {
		b.Fatalf("close node in %s: %v", dir, err)
	}
	store, err := mailbox.Open(dir, mailbox.Options{})
	if err != nil {
		b.Fatalf("open store in %s: %v", dir, err)
	}
	defer store.Close()
	seed, err := store.Setting(nodeSeedSetting)
	if err != nil || len(seed) != ed25519.SeedSize {
		b.Fatalf("read node key seed %q in %s: %d bytes, %v", nodeSeedSetting, dir, len(seed), err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	if got, _ := envelope.AddressFromKey(key.Public().(ed25519.PublicKey)); got != addr {
		b.Fatalf("setting %q holds the key of %s, the node's address is %s", nodeSeedSetting, got, addr)
	}
	return key
}

// keyAddress is the mail address of key.
func keyAddress(b *testing.B, key ed25519.PrivateKey) envelope.Address {
	b.Helper()
	a, err := envelope.AddressFromKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// prefillRelay opens the relay store of the (stopped) relay node in
// relayDB with the relay's own key, registers bob and deposits n sealed
// 1 KiB messages from alice to bob (prefillRelayMembers). It returns the
// messages as bob should receive them.
func prefillRelay(b *testing.B, relayDB string, relayKey, aliceKey, bobKey ed25519.PrivateKey, n int) [][]byte {
	b.Helper()
	return prefillRelayMembers(b, relayDB, relayKey, []ed25519.PrivateKey{aliceKey}, []ed25519.PrivateKey{bobKey}, n)[0]
}

// waitUntil polls cond every 50 ms (cheaper than waitFor's 20 ms when the
// condition lists a large mailbox) and fails after within.
func waitUntil(b *testing.B, within time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out after %s waiting for %s", within, what)
		}
		<-time.After(min(50*time.Millisecond, max(time.Until(deadline), time.Millisecond)))
	}
}

// inboxCount is the number of messages in tn's INBOX.
func inboxCount(b *testing.B, tn *nodetest.Node) int {
	st, err := tn.Node.Store().Status("INBOX")
	if err != nil {
		b.Fatalf("status of %s INBOX: %v", tn.Name, err)
	}
	return int(st.Messages)
}

// relayHolds is the number of envelopes relay node r holds.
func relayHolds(b *testing.B, r *nodetest.Node) relay.Status {
	st, ok := r.Node.RelayStatus()
	if !ok {
		b.Fatalf("%s runs no relay", r.Name)
	}
	return st
}

// BenchmarkRelayHandOver10k: 10,000 envelopes of 1 KiB wait at relay R for
// Bob; Bob's node starts with R as its relay. Measured: from the start of
// Bob's node until all 10,000 are in Bob's INBOX, and the process's peak
// memory meanwhile. Both nodes run in this process, so the RSS high-water
// mark is theirs together; the heap figure is sampled live-heap growth.
func BenchmarkRelayHandOver10k(b *testing.B) {
	const n = 10000
	var first, total time.Duration
	var heapGrowth, rss float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		relayDB, bobDB := b.TempDir(), b.TempDir()
		relayKey, bobKey := nodeKey(b, relayDB), nodeKey(b, bobDB)
		aliceKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xa1}, ed25519.SeedSize))
		want := prefillRelay(b, relayDB, relayKey, aliceKey, bobKey, n)
		r := nodetest.Start(b, "relay", nodetest.Options{DB: relayDB, Listen: true, Quiet: true, Relay: benchRelayOptions()})
		if got := relayHolds(b, r).Envelopes; got != n {
			b.Fatalf("relay node holds %d envelopes, want %d", got, n)
		}
		runtime.GC()
		baseline := liveHeap()
		stopHeap := sampleHeap()
		resetPeakRSS()
		b.StartTimer()
		start := time.Now()
		bob := nodetest.Start(b, "bob", nodetest.Options{DB: bobDB, Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}, Quiet: true})
		waitUntil(b, 5*time.Minute, "the first handed-over message", func() bool { return inboxCount(b, bob) > 0 })
		first += time.Since(start)
		waitUntil(b, 5*time.Minute, fmt.Sprintf("%d messages in Bob's INBOX", n), func() bool { return inboxCount(b, bob) >= n })
		total += time.Since(start)
		b.StopTimer()
		heapGrowth += float64(max(stopHeap(), baseline)-baseline) / (1 << 20)
		rss += float64(peakRSS()) / (1 << 20)
		checkHandedOver(b, r, bob, want)
		bob.Stop()
		r.Stop()
	}
	runs := float64(b.N)
	b.ReportMetric(first.Seconds()/runs, "s-to-first")
	b.ReportMetric(total.Seconds()/runs, "s-to-all")
	b.ReportMetric(n*runs/(total-first).Seconds(), "msgs/s-after-first")
	b.ReportMetric(heapGrowth/runs, "peak-heap-growth-MB")
	b.ReportMetric(rss/runs, "peak-RSS-MB")
}

// checkHandedOver checks that Bob's INBOX holds exactly the wanted
// messages, each once and intact, and that the relay let go of all of them.
func checkHandedOver(b *testing.B, r, bob *nodetest.Node, want [][]byte) {
	b.Helper()
	msgs, err := bob.Node.Store().Messages("INBOX")
	if err != nil {
		b.Fatalf("list Bob's INBOX: %v", err)
	}
	got := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		got = append(got, readMessage(b, bob, m.UID))
	}
	nodetest.AssertExactlyOnce(b, got, want)
	// Bob is the relay's only member: what it still holds for members is
	// his. (Bob's delivery receipts to Alice are held for forwarding.)
	waitUntil(b, time.Minute, "the relay to hold nothing for Bob", func() bool {
		st := relayHolds(b, r)
		return st.Envelopes-st.Forwarding == 0
	})
	if st := relayHolds(b, r); st.HandOvers != uint64(len(want)) {
		b.Errorf("relay counted %d hand-overs, want %d", st.HandOvers, len(want))
	}
}

// readMessage returns the full text of message uid in tn's INBOX.
func readMessage(b *testing.B, tn *nodetest.Node, uid uint32) []byte {
	b.Helper()
	rc, err := tn.Node.Store().OpenMessage("INBOX", uid)
	if err != nil {
		b.Fatalf("open message %d of %s: %v", uid, tn.Name, err)
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		b.Fatalf("read message %d of %s: %v", uid, tn.Name, err)
	}
	return body
}

// BenchmarkRelayDeposit: Alice's node sends 1,000 messages of 1 KiB to
// Bob, a member of relay R whose node is down, over one SMTP connection.
// Measured: from the first submission until R holds all of them and every
// Sent copy at Alice shows $Relayed. One message before the timer starts
// warms the path to R and lets Alice find Bob unreachable (the first
// direct attempt waits ReachTimeout, 5 s in tests), so the figure is the
// steady deposit rate.
func BenchmarkRelayDeposit(b *testing.B) { relayDepositBurst(b, 1000, 1, benchRelayOptions()) }

// BenchmarkRelayDepositClients is BenchmarkRelayDeposit from eight mail
// clients at once, each over its own SMTP connection: one connection is
// bound by one commit after another at Alice's node, several share them.
func BenchmarkRelayDepositClients(b *testing.B) {
	relayDepositBurst(b, 1000, 8, benchRelayOptions())
}

// BenchmarkRelayMemberBurst2000 is BenchmarkRelayDeposit with 2,000
// messages under the relay's default limits, where a member's deposits
// have a bucket of their own (relay.Options.MemberDepositRate).
func BenchmarkRelayMemberBurst2000(b *testing.B) {
	opts := &relay.Options{Policy: relay.PolicyOpen, Forward: true, MemberEnvelopes: 50000}
	relayDepositBurst(b, 2000, 1, opts)
}

// relayDepositBurst has Alice send n messages of 1 KiB over as many SMTP
// connections as clients to Bob, who is away, and measures until relay R
// (with options opts) holds them all and every Sent copy says so.
func relayDepositBurst(b *testing.B, n, clients int, opts *relay.Options) {
	var elapsed time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		r, alice, bob := depositSetup(b, opts)
		msgs := make([][]byte, n)
		for i := range msgs {
			msgs[i] = nodetest.Message(alice.Addr, bob, fmt.Sprintf("deposit %d", i), strings.Repeat("d", 1024)+"\r\n")
		}
		b.StartTimer()
		start := time.Now()
		errs := make(chan error, clients)
		for k := range clients {
			go func() { errs <- alice.SendMany(bob, msgs[k*n/clients:(k+1)*n/clients]) }()
		}
		for range clients {
			if err := <-errs; err != nil {
				b.Fatalf("alice submits: %v", err)
			}
		}
		waitUntil(b, 5*time.Minute, fmt.Sprintf("the relay to hold %d envelopes", n+1), func() bool {
			return relayHolds(b, r).Envelopes >= n+1
		})
		waitUntil(b, 5*time.Minute, "every Sent copy marked "+node.KeywordRelayed, func() bool {
			return countKeyword(b, alice, node.KeywordRelayed) >= n+1
		})
		elapsed += time.Since(start)
		b.StopTimer()
		if st := relayHolds(b, r); st.Envelopes != n+1 || st.Forwarding != 0 {
			b.Errorf("relay holds %d envelopes (%d for forwarding), want %d for Bob", st.Envelopes, st.Forwarding, n+1)
		}
		alice.Stop()
		r.Stop()
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s-per-burst")
}

// depositSetup starts relay R with opts, makes Bob a member and stops him, starts
// Alice (also a member, so she has a relay of her own) and sends one
// message that ends in R's custody.
func depositSetup(b *testing.B, opts *relay.Options) (r, alice *nodetest.Node, bob envelope.Address) {
	b.Helper()
	r = nodetest.Start(b, "relay", nodetest.Options{Listen: true, Quiet: true, Relay: opts})
	relays := []envelope.Address{r.Addr}
	bn := nodetest.Start(b, "bob", nodetest.Options{Peers: []string{r.MeshURL()}, Relays: relays, Quiet: true})
	waitUntil(b, time.Minute, "Bob to register", func() bool { return relayHolds(b, r).Members == 1 })
	bob = bn.Addr
	bn.Stop()
	alice = nodetest.Start(b, "alice", nodetest.Options{Peers: []string{r.MeshURL()}, Relays: relays, Quiet: true})
	waitUntil(b, time.Minute, "Alice to register", func() bool { return relayHolds(b, r).Members == 2 })
	alice.MustSend(bob, nodetest.Message(alice.Addr, bob, "warm up", "to the relay\r\n"))
	waitUntil(b, time.Minute, "the warm-up message in custody", func() bool {
		return countKeyword(b, alice, node.KeywordRelayed) == 1
	})
	return r, alice, bob
}

// countKeyword counts the messages in tn's Sent that carry keyword.
func countKeyword(b *testing.B, tn *nodetest.Node, keyword string) int {
	msgs, err := tn.Node.Store().Messages(mailbox.Sent)
	if err != nil {
		b.Fatalf("list Sent of %s: %v", tn.Name, err)
	}
	count := 0
	for _, m := range msgs {
		if slices.Contains(m.Flags, keyword) {
			count++
		}
	}
	return count
}

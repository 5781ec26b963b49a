package node_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
	"github.com/yggpost/yggpost/relay"
)

// startRelay runs a node with the relay role (open membership) that
// listens for peerings.
func startRelay(t *testing.T, name string, o nodetest.Options) *nodetest.Node {
	t.Helper()
	if o.Relay == nil {
		o.Relay = &relay.Options{Policy: relay.PolicyOpen, Forward: true}
	}
	o.Listen = true
	return nodetest.Start(t, name, o)
}

// waitMembers waits until relay r has want members.
func waitMembers(t *testing.T, r *nodetest.Node, want int) {
	t.Helper()
	// A member's first session waits for the mesh to find the relay;
	// with every scenario running at once that can take several tries,
	// 1 s, 2 s, 4 s … 64 s apart (the membership's backoff). On a loaded
	// machine the mesh has been seen to find no path to a relay for half a
	// minute; the node's prober now looks the relay up every 2 s while
	// its session is down, and the path found starts the session, so the
	// wait is bounded by the mesh, not the backoff. The bound stays wide.
	testkit.WaitFor(t, 150*time.Second, fmt.Sprintf("%d members at %s", want, r.Name), func() bool {
		return r.RelayStatus().Members == want
	})
}

// waitHeld waits until relay r holds exactly want envelopes.
func waitHeld(t *testing.T, r *nodetest.Node, want int) {
	t.Helper()
	testkit.WaitFor(t, 30*time.Second, fmt.Sprintf("%s to hold %d envelopes", r.Name, want), func() bool {
		return r.RelayStatus().Envelopes == want
	})
}

// Sender and recipient are never online at the same time: the relay
// holds Alice's messages until Bob comes, and Bob's delivery receipts
// until Alice comes back.
func TestRelayNeverOnlineTogether(t *testing.T) {
	t.Parallel()
	r := startRelay(t, "relay", nodetest.Options{})
	bobDB := t.TempDir()
	bob := nodetest.Start(t, "bob", nodetest.Options{DB: bobDB, Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}})
	waitMembers(t, r, 1)
	bobAddr := bob.Addr
	bob.Stop()

	aliceDB := t.TempDir()
	alice := nodetest.Start(t, "alice", nodetest.Options{DB: aliceDB, Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}})
	waitMembers(t, r, 2)
	var want [][]byte
	for i := range 5 {
		msg := nodetest.Message(alice.Addr, bobAddr, fmt.Sprintf("while you were away %d", i), fmt.Sprintf("text %d\r\n", i))
		alice.MustSend(bobAddr, msg)
		want = append(want, msg)
	}
	alice.WaitSentAll(5, node.KeywordRelayed, 60*time.Second)
	waitHeld(t, r, 5)
	alice.Stop()

	bob = nodetest.Start(t, "bob", nodetest.Options{DB: bobDB, Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}})
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(5, 60*time.Second), want)
	// Bob's receipts for Alice (in one message or a few) wait at her relay.
	bob.WaitOutboxEmpty(30 * time.Second)
	testkit.WaitFor(t, 10*time.Second, "only receipts at the relay", func() bool {
		st := r.RelayStatus()
		return st.HandOvers == 5 && st.Envelopes >= 1 && st.Envelopes <= 5
	})
	bob.Stop()

	alice = nodetest.Start(t, "alice", nodetest.Options{DB: aliceDB, Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}})
	alice.WaitSentAll(5, node.KeywordDelivered, 60*time.Second)
	alice.WaitOutboxEmpty(10 * time.Second)
	waitHeld(t, r, 0)
	for _, f := range alice.SentKeywords() {
		if slices.Contains(f, node.KeywordRelayed) {
			t.Errorf("a delivered message still shows %s: %v", node.KeywordRelayed, f)
		}
	}
	if got := alice.WaitInbox(0, time.Second); len(got) != 0 {
		t.Errorf("receipts were filed in Alice's INBOX: %d messages", len(got))
	}
}

// Bob has two relays; Alice deposits at both while Bob is away. One relay
// is down when Bob returns: he gets everything from the other, once, and
// when the second relay is back its copies are dropped.
func TestRelayTwoRelaysOneDown(t *testing.T) {
	t.Parallel()
	r1 := startRelay(t, "relay1", nodetest.Options{})
	r2DB := t.TempDir()
	r2 := startRelay(t, "relay2", nodetest.Options{DB: r2DB})
	bobDB := t.TempDir()
	bobOpts := nodetest.Options{DB: bobDB, Listen: true, Peers: []string{r1.MeshURL(), r2.MeshURL()}, Relays: []envelope.Address{r1.Addr, r2.Addr}}
	bob := nodetest.Start(t, "bob", bobOpts)
	alice := nodetest.Start(t, "alice", nodetest.Options{Peers: []string{r1.MeshURL(), r2.MeshURL()}})
	waitMembers(t, r1, 1)
	waitMembers(t, r2, 1)

	// A first message while both are online: Alice learns Bob's relays.
	first := nodetest.Message(alice.Addr, bob.Addr, "hello while online", "hi\r\n")
	alice.MustSend(bob.Addr, first)
	bob.WaitInbox(1, 60*time.Second)
	// Alice asks Bob for his relays after the delivery, in the same session.
	alice.WaitOutboxEmpty(30 * time.Second)
	bob.Stop()

	want := [][]byte{first}
	for i := range 3 {
		msg := nodetest.Message(alice.Addr, bob.Addr, fmt.Sprintf("two relays %d", i), fmt.Sprintf("body %d\r\n", i))
		alice.MustSend(bob.Addr, msg)
		want = append(want, msg)
	}
	waitHeld(t, r1, 3)
	waitHeld(t, r2, 3)
	r2.Stop()

	bobOpts.Listen = false
	bob = nodetest.Start(t, "bob", bobOpts)
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(4, 60*time.Second), want)
	waitHeld(t, r1, 0)
	alice.WaitSentAll(4, node.KeywordDelivered, 60*time.Second)

	// The second relay returns (and peers with Bob): its copies go.
	r2 = startRelay(t, "relay2", nodetest.Options{DB: r2DB, Peers: []string{r1.MeshURL()}})
	waitHeld(t, r2, 0)
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(4, time.Second), want)
}

// A phone is online only in short windows; each window collects what
// waited for it.
func TestRelayPhoneWindows(t *testing.T) {
	t.Parallel()
	r := startRelay(t, "relay", nodetest.Options{})
	phoneDB := t.TempDir()
	phoneOpts := nodetest.Options{DB: phoneDB, Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}}
	phone := nodetest.Start(t, "phone", phoneOpts)
	waitMembers(t, r, 1)
	phoneAddr := phone.Addr
	phone.Stop()
	alice := nodetest.Start(t, "alice", nodetest.Options{Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}})

	var want [][]byte
	for window, count := range []int{3, 2, 4} {
		for i := range count {
			msg := nodetest.Message(alice.Addr, phoneAddr, fmt.Sprintf("window %d message %d", window, i), "ping\r\n")
			alice.MustSend(phoneAddr, msg)
			want = append(want, msg)
		}
		waitHeld(t, r, count)
		phone = nodetest.Start(t, "phone", phoneOpts)
		// The window is short: everything must arrive within it.
		nodetest.AssertExactlyOnce(t, phone.WaitInbox(len(want), 20*time.Second), want)
		waitHeld(t, r, 0)
		// Its delivery receipts leave in the window too.
		alice.WaitSentAll(len(want), node.KeywordDelivered, 20*time.Second)
		phone.Stop()
	}
}

// inboxText returns tn's INBOX messages joined, for searching.
func inboxText(tn *nodetest.Node, want int, within time.Duration) string {
	tn.T.Helper()
	return string(bytes.Join(tn.WaitInbox(want, within), []byte("\n---\n")))
}

// Over quota, and past the relay's retention: Alice gets a delivery status
// notification naming the recipient and the reason, and the relay keeps
// nothing that expired.
func TestRelayQuotaAndExpiryBounce(t *testing.T) {
	t.Parallel()
	t.Run("quota", func(t *testing.T) {
		t.Parallel()
		r := startRelay(t, "relay", nodetest.Options{Relay: &relay.Options{MemberEnvelopes: 2}})
		bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}})
		waitMembers(t, r, 1)
		bobAddr := bob.Addr
		bob.Stop()
		alice := nodetest.Start(t, "alice", nodetest.Options{Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}, GiveUp: 10 * time.Second})
		for i := range 3 {
			alice.MustSend(bobAddr, nodetest.Message(alice.Addr, bobAddr, fmt.Sprintf("quota %d", i), "x\r\n"))
		}
		report := inboxText(alice, 1, 90*time.Second)
		for _, want := range []string{"Action: failed", bobAddr.String(), "storage at this relay is full", "Status: 5.2.2"} {
			if !strings.Contains(report, want) {
				t.Errorf("bounce lacks %q:\n%s", want, report)
			}
		}
		// Envelopes that reach the relay in one pipelined window are stored
		// at once, and how the three are split into windows depends on
		// when each was queued: any one of them may be the one that did
		// not fit, but only one.
		named := 0
		for i := range 3 {
			if strings.Contains(report, fmt.Sprintf("quota.%d@test", i)) {
				named++
			}
		}
		if named != 1 {
			t.Errorf("bounce names %d of the three messages, want one:\n%s", named, report)
		}
		waitHeld(t, r, 2)
		flags := alice.SentKeywords()
		failed, relayed := 0, 0
		for _, f := range flags {
			if slices.Contains(f, node.KeywordFailed) {
				failed++
			}
			if slices.Contains(f, node.KeywordRelayed) {
				relayed++
			}
		}
		if failed != 1 || relayed != 2 {
			t.Errorf("Sent keywords %v: want 1 %s and 2 %s", flags, node.KeywordFailed, node.KeywordRelayed)
		}
	})
	t.Run("expiry", func(t *testing.T) {
		t.Parallel()
		r := startRelay(t, "relay", nodetest.Options{Relay: &relay.Options{Retention: 3 * time.Second}, Expire: 200 * time.Millisecond})
		bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}})
		waitMembers(t, r, 1)
		bobAddr := bob.Addr
		bob.Stop()
		alice := nodetest.Start(t, "alice", nodetest.Options{Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}})
		alice.MustSend(bobAddr, nodetest.Message(alice.Addr, bobAddr, "never collected", "x\r\n"))
		testkit.WaitFor(t, 30*time.Second, "the relay to take the message", func() bool { return r.RelayStatus().Deposits == 1 })
		report := inboxText(alice, 1, 60*time.Second)
		for _, want := range []string{"Action: failed", bobAddr.String(), "did not collect the message", r.Addr.String()} {
			if !strings.Contains(report, want) {
				t.Errorf("bounce lacks %q:\n%s", want, report)
			}
		}
		waitHeld(t, r, 0)
		if st := r.RelayStatus(); st.Expired != 1 {
			t.Errorf("relay status %+v: want 1 expired", st)
		}
		alice.WaitOutboxEmpty(10 * time.Second)
	})
}

// Alice's own relay holds her messages for Bob, who has no relay, and
// passes them on when Bob's node appears; Bob's receipts wait at Alice's
// relay for her.
func TestRelayForwardsToOfflineRecipient(t *testing.T) {
	t.Parallel()
	ra := startRelay(t, "alice-relay", nodetest.Options{})
	bobDB := t.TempDir()
	bob := nodetest.Start(t, "bob", nodetest.Options{DB: bobDB})
	bobAddr := bob.Addr
	bob.Stop()
	aliceDB := t.TempDir()
	aliceOpts := nodetest.Options{DB: aliceDB, Peers: []string{ra.MeshURL()}, Relays: []envelope.Address{ra.Addr}}
	alice := nodetest.Start(t, "alice", aliceOpts)
	waitMembers(t, ra, 1)
	var want [][]byte
	for i := range 2 {
		msg := nodetest.Message(alice.Addr, bobAddr, fmt.Sprintf("forwarded %d", i), "see you\r\n")
		alice.MustSend(bobAddr, msg)
		want = append(want, msg)
	}
	waitHeld(t, ra, 2)
	if st := ra.RelayStatus(); st.Forwarding != 2 {
		t.Errorf("relay status %+v: want 2 held for forwarding", st)
	}
	alice.WaitSentAll(2, node.KeywordRelayed, 30*time.Second)
	alice.Stop()

	bob = nodetest.Start(t, "bob", nodetest.Options{DB: bobDB, Peers: []string{ra.MeshURL()}})
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(2, 60*time.Second), want)
	bob.WaitOutboxEmpty(30 * time.Second)
	testkit.WaitFor(t, 30*time.Second, "the relay to hold only Bob's receipts", func() bool {
		st := ra.RelayStatus()
		return st.Forwarding == 0 && st.Envelopes >= 1 && st.Envelopes <= 2
	})
	alice = nodetest.Start(t, "alice", aliceOpts)
	alice.WaitSentAll(2, node.KeywordDelivered, 60*time.Second)
	waitHeld(t, ra, 0)
}

// What a relay sees is the recipient's key, sizes and times: its store
// holds no text of the messages and no trace of their sender.
func TestRelayStoreHoldsNoPlaintextNorSender(t *testing.T) {
	t.Parallel()
	r := startRelay(t, "bob-relay", nodetest.Options{})
	aliceRelay := startRelay(t, "alice-relay", nodetest.Options{})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}})
	waitMembers(t, r, 1)
	bobAddr := bob.Addr
	// Alice has a relay of her own, so her envelopes carry her relay
	// record. A first message while Bob is online teaches her his relays.
	alice := nodetest.Start(t, "alice", nodetest.Options{Peers: []string{r.MeshURL(), aliceRelay.MeshURL()}, Relays: []envelope.Address{aliceRelay.Addr}})
	waitMembers(t, aliceRelay, 1)
	alice.MustSend(bobAddr, nodetest.Message(alice.Addr, bobAddr, "hello", "hi\r\n"))
	bob.WaitInbox(1, 60*time.Second)
	// Alice asks Bob for his relays after the delivery, in the same session.
	alice.WaitOutboxEmpty(30 * time.Second)
	bob.Stop()
	secrets := []string{"Sphinx of black quartz, judge my vow", "The treasure is under the old oak", strings.Repeat("Long secret line.\r\n", 20000)}
	for i, text := range secrets {
		alice.MustSend(bobAddr, nodetest.Message(alice.Addr, bobAddr, fmt.Sprintf("secret %d", i), text+"\r\n"))
	}
	waitHeld(t, r, len(secrets))
	r.Stop() // everything on disk, nothing in memory

	files := readTree(t, filepath.Join(r.DB, "relay"))
	found := func(needle []byte) string {
		for name, data := range files {
			if bytes.Contains(data, needle) {
				return name
			}
		}
		return ""
	}
	if found(bobAddr[:]) == "" {
		t.Fatal("the scan does not see the recipient's key in the relay store: it reads the wrong files")
	}
	needles := map[string][]byte{
		"sender key":         alice.Addr[:],
		"sender hex":         []byte(alice.Addr.Hex()),
		"sender hex (upper)": []byte(strings.ToUpper(alice.Addr.Hex())),
		"subject":            []byte("secret 0"),
	}
	for i, text := range secrets {
		needles[fmt.Sprintf("text %d", i)] = []byte(text[:30])
	}
	for what, needle := range needles {
		if name := found(needle); name != "" {
			t.Errorf("the relay store holds the %s (in %s)", what, name)
		}
	}
}

// readTree returns the contents of every file under dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		out[path] = data
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	if len(out) == 0 {
		t.Fatalf("no files under %s", dir)
	}
	return out
}

// A message that cannot be delivered and that no relay takes makes the
// sender get one "still trying" report, and is delivered later all the same.
func TestDelayNoticeThenDelivery(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true, Notify: time.Second, Reach: time.Second})
	bobDB := t.TempDir()
	bob := nodetest.Start(t, "bob", nodetest.Options{DB: bobDB})
	bobAddr := bob.Addr
	bob.Stop()
	msg := nodetest.Message(alice.Addr, bobAddr, "patience", "later\r\n")
	alice.MustSend(bobAddr, msg)
	report := inboxText(alice, 1, 30*time.Second)
	for _, want := range []string{"Action: delayed", "Status: 4.4.1", "Will-Retry-Until:", bobAddr.String(), "Subject: Delayed mail (still trying)", "In-Reply-To: <patience@test>"} {
		if !strings.Contains(report, want) {
			t.Errorf("delay report lacks %q:\n%s", want, report)
		}
	}
	bob = nodetest.Start(t, "bob", nodetest.Options{DB: bobDB, Peers: []string{alice.MeshURL()}})
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(1, 60*time.Second), [][]byte{msg})
	alice.WaitSentAll(1, node.KeywordDelivered, 10*time.Second)
	if got := alice.WaitInbox(1, time.Second); len(got) != 1 {
		t.Errorf("Alice has %d reports, want exactly the one delay notice", len(got))
	}
}

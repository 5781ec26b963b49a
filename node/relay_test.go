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
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/relay"
)

// startRelay runs a node with the relay role (open membership) that
// listens for peerings.
func startRelay(t *testing.T, name string, o nodeOpts) *testNode {
	t.Helper()
	if o.relay == nil {
		o.relay = &relay.Options{Policy: relay.PolicyOpen, Forward: true}
	}
	o.listen = true
	return startNode(t, name, o)
}

// relayStatus returns a relay node's figures.
func (tn *testNode) relayStatus() relay.Status {
	tn.t.Helper()
	st, ok := tn.node.RelayStatus()
	if !ok {
		tn.t.Fatalf("%s runs no relay", tn.name)
	}
	return st
}

// waitMembers waits until relay r has want members.
func waitMembers(t *testing.T, r *testNode, want int) {
	t.Helper()
	waitFor(t, 30*time.Second, fmt.Sprintf("%d members at %s", want, r.name), func() bool {
		return r.relayStatus().Members == want
	})
}

// waitHeld waits until relay r holds exactly want envelopes.
func waitHeld(t *testing.T, r *testNode, want int) {
	t.Helper()
	waitFor(t, 30*time.Second, fmt.Sprintf("%s to hold %d envelopes", r.name, want), func() bool {
		return r.relayStatus().Envelopes == want
	})
}

// sentKeywords returns the flags of every message in tn's Sent mailbox.
func (tn *testNode) sentKeywords() [][]string {
	tn.t.Helper()
	msgs, err := tn.node.Store().Messages(mailbox.Sent)
	if err != nil {
		tn.t.Fatalf("list Sent of %s: %v", tn.name, err)
	}
	var out [][]string
	for _, m := range msgs {
		out = append(out, m.Flags)
	}
	return out
}

// waitSentAll waits until every message in tn's Sent has keyword.
func (tn *testNode) waitSentAll(n int, keyword string, within time.Duration) {
	tn.t.Helper()
	waitFor(tn.t, within, fmt.Sprintf("%d Sent messages of %s marked %s", n, tn.name, keyword), func() bool {
		flags := tn.sentKeywords()
		if len(flags) != n {
			return false
		}
		for _, f := range flags {
			if !slices.Contains(f, keyword) {
				return false
			}
		}
		return true
	})
}

// Sender and recipient are never online at the same time: the relay
// holds Alice's messages until Bob comes, and Bob's delivery receipts
// until Alice comes back.
func TestRelayNeverOnlineTogether(t *testing.T) {
	t.Parallel()
	r := startRelay(t, "relay", nodeOpts{})
	bobDB := t.TempDir()
	bob := startNode(t, "bob", nodeOpts{db: bobDB, peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}})
	waitMembers(t, r, 1)
	bobAddr := bob.addr
	bob.stop()

	aliceDB := t.TempDir()
	alice := startNode(t, "alice", nodeOpts{db: aliceDB, peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}})
	waitMembers(t, r, 2)
	var want [][]byte
	for i := range 5 {
		msg := message(alice.addr, bobAddr, fmt.Sprintf("while you were away %d", i), fmt.Sprintf("text %d\r\n", i))
		alice.mustSend(bobAddr, msg)
		want = append(want, msg)
	}
	alice.waitSentAll(5, node.KeywordRelayed, 60*time.Second)
	waitHeld(t, r, 5)
	alice.stop()

	bob = startNode(t, "bob", nodeOpts{db: bobDB, peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}})
	assertExactlyOnce(t, bob.waitInbox(5, 60*time.Second), want)
	// Bob's receipts for Alice (in one message or a few) wait at her relay.
	bob.waitOutboxEmpty(30 * time.Second)
	waitFor(t, 10*time.Second, "only receipts at the relay", func() bool {
		st := r.relayStatus()
		return st.HandOvers == 5 && st.Envelopes >= 1 && st.Envelopes <= 5
	})
	bob.stop()

	alice = startNode(t, "alice", nodeOpts{db: aliceDB, peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}})
	alice.waitSentAll(5, node.KeywordDelivered, 60*time.Second)
	alice.waitOutboxEmpty(10 * time.Second)
	waitHeld(t, r, 0)
	for _, f := range alice.sentKeywords() {
		if slices.Contains(f, node.KeywordRelayed) {
			t.Errorf("a delivered message still shows %s: %v", node.KeywordRelayed, f)
		}
	}
	if got := alice.waitInbox(0, time.Second); len(got) != 0 {
		t.Errorf("receipts were filed in Alice's INBOX: %d messages", len(got))
	}
}

// Bob has two relays; Alice deposits at both while Bob is away. One relay
// is down when Bob returns: he gets everything from the other, once, and
// when the second relay is back its copies are dropped.
func TestRelayTwoRelaysOneDown(t *testing.T) {
	t.Parallel()
	r1 := startRelay(t, "relay1", nodeOpts{})
	r2DB := t.TempDir()
	r2 := startRelay(t, "relay2", nodeOpts{db: r2DB})
	bobDB := t.TempDir()
	bobOpts := nodeOpts{db: bobDB, listen: true, peers: []string{r1.meshURL(), r2.meshURL()}, relays: []envelope.Address{r1.addr, r2.addr}}
	bob := startNode(t, "bob", bobOpts)
	alice := startNode(t, "alice", nodeOpts{peers: []string{r1.meshURL(), r2.meshURL()}})
	waitMembers(t, r1, 1)
	waitMembers(t, r2, 1)

	// A first message while both are online: Alice learns Bob's relays.
	first := message(alice.addr, bob.addr, "hello while online", "hi\r\n")
	alice.mustSend(bob.addr, first)
	bob.waitInbox(1, 60*time.Second)
	// Alice asks Bob for his relays after the delivery, in the same session.
	alice.waitOutboxEmpty(30 * time.Second)
	bob.stop()

	want := [][]byte{first}
	for i := range 3 {
		msg := message(alice.addr, bob.addr, fmt.Sprintf("two relays %d", i), fmt.Sprintf("body %d\r\n", i))
		alice.mustSend(bob.addr, msg)
		want = append(want, msg)
	}
	waitHeld(t, r1, 3)
	waitHeld(t, r2, 3)
	r2.stop()

	bobOpts.listen = false
	bob = startNode(t, "bob", bobOpts)
	assertExactlyOnce(t, bob.waitInbox(4, 60*time.Second), want)
	waitHeld(t, r1, 0)
	alice.waitSentAll(4, node.KeywordDelivered, 60*time.Second)

	// The second relay returns (and peers with Bob): its copies go.
	r2 = startRelay(t, "relay2", nodeOpts{db: r2DB, peers: []string{r1.meshURL()}})
	waitHeld(t, r2, 0)
	assertExactlyOnce(t, bob.waitInbox(4, time.Second), want)
}

// A phone is online only in short windows; each window collects what
// waited for it.
func TestRelayPhoneWindows(t *testing.T) {
	t.Parallel()
	r := startRelay(t, "relay", nodeOpts{})
	phoneDB := t.TempDir()
	phoneOpts := nodeOpts{db: phoneDB, peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}}
	phone := startNode(t, "phone", phoneOpts)
	waitMembers(t, r, 1)
	phoneAddr := phone.addr
	phone.stop()
	alice := startNode(t, "alice", nodeOpts{peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}})

	var want [][]byte
	for window, count := range []int{3, 2, 4} {
		for i := range count {
			msg := message(alice.addr, phoneAddr, fmt.Sprintf("window %d message %d", window, i), "ping\r\n")
			alice.mustSend(phoneAddr, msg)
			want = append(want, msg)
		}
		waitHeld(t, r, count)
		phone = startNode(t, "phone", phoneOpts)
		// The window is short: everything must arrive within it.
		assertExactlyOnce(t, phone.waitInbox(len(want), 20*time.Second), want)
		waitHeld(t, r, 0)
		// Its delivery receipts leave in the window too.
		alice.waitSentAll(len(want), node.KeywordDelivered, 20*time.Second)
		phone.stop()
	}
}

// inboxText returns tn's INBOX messages joined, for searching.
func (tn *testNode) inboxText(want int, within time.Duration) string {
	tn.t.Helper()
	return string(bytes.Join(tn.waitInbox(want, within), []byte("\n---\n")))
}

// Over quota, and past the relay's retention: Alice gets a delivery status
// notification naming the recipient and the reason, and the relay keeps
// nothing that expired.
func TestRelayQuotaAndExpiryBounce(t *testing.T) {
	t.Parallel()
	t.Run("quota", func(t *testing.T) {
		t.Parallel()
		r := startRelay(t, "relay", nodeOpts{relay: &relay.Options{MemberEnvelopes: 2}})
		bob := startNode(t, "bob", nodeOpts{peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}})
		waitMembers(t, r, 1)
		bobAddr := bob.addr
		bob.stop()
		alice := startNode(t, "alice", nodeOpts{peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}, giveUp: 10 * time.Second})
		for i := range 3 {
			alice.mustSend(bobAddr, message(alice.addr, bobAddr, fmt.Sprintf("quota %d", i), "x\r\n"))
		}
		report := alice.inboxText(1, 90*time.Second)
		for _, want := range []string{"Action: failed", bobAddr.String(), "storage at this relay is full", "Status: 5.2.2", "quota.2"} {
			if !strings.Contains(report, want) {
				t.Errorf("bounce lacks %q:\n%s", want, report)
			}
		}
		waitHeld(t, r, 2)
		flags := alice.sentKeywords()
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
		r := startRelay(t, "relay", nodeOpts{relay: &relay.Options{Retention: 3 * time.Second}, expire: 200 * time.Millisecond})
		bob := startNode(t, "bob", nodeOpts{peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}})
		waitMembers(t, r, 1)
		bobAddr := bob.addr
		bob.stop()
		alice := startNode(t, "alice", nodeOpts{peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}})
		alice.mustSend(bobAddr, message(alice.addr, bobAddr, "never collected", "x\r\n"))
		waitFor(t, 30*time.Second, "the relay to take the message", func() bool { return r.relayStatus().Deposits == 1 })
		report := alice.inboxText(1, 60*time.Second)
		for _, want := range []string{"Action: failed", bobAddr.String(), "did not collect the message", r.addr.String()} {
			if !strings.Contains(report, want) {
				t.Errorf("bounce lacks %q:\n%s", want, report)
			}
		}
		waitHeld(t, r, 0)
		if st := r.relayStatus(); st.Expired != 1 {
			t.Errorf("relay status %+v: want 1 expired", st)
		}
		alice.waitOutboxEmpty(10 * time.Second)
	})
}

// Alice's own relay holds her messages for Bob, who has no relay, and
// passes them on when Bob's node appears; Bob's receipts wait at Alice's
// relay for her.
func TestRelayForwardsToOfflineRecipient(t *testing.T) {
	t.Parallel()
	ra := startRelay(t, "alice-relay", nodeOpts{})
	bobDB := t.TempDir()
	bob := startNode(t, "bob", nodeOpts{db: bobDB})
	bobAddr := bob.addr
	bob.stop()
	aliceDB := t.TempDir()
	aliceOpts := nodeOpts{db: aliceDB, peers: []string{ra.meshURL()}, relays: []envelope.Address{ra.addr}}
	alice := startNode(t, "alice", aliceOpts)
	waitMembers(t, ra, 1)
	var want [][]byte
	for i := range 2 {
		msg := message(alice.addr, bobAddr, fmt.Sprintf("forwarded %d", i), "see you\r\n")
		alice.mustSend(bobAddr, msg)
		want = append(want, msg)
	}
	waitHeld(t, ra, 2)
	if st := ra.relayStatus(); st.Forwarding != 2 {
		t.Errorf("relay status %+v: want 2 held for forwarding", st)
	}
	alice.waitSentAll(2, node.KeywordRelayed, 30*time.Second)
	alice.stop()

	bob = startNode(t, "bob", nodeOpts{db: bobDB, peers: []string{ra.meshURL()}})
	assertExactlyOnce(t, bob.waitInbox(2, 60*time.Second), want)
	bob.waitOutboxEmpty(30 * time.Second)
	waitFor(t, 30*time.Second, "the relay to hold only Bob's receipts", func() bool {
		st := ra.relayStatus()
		return st.Forwarding == 0 && st.Envelopes >= 1 && st.Envelopes <= 2
	})
	alice = startNode(t, "alice", aliceOpts)
	alice.waitSentAll(2, node.KeywordDelivered, 60*time.Second)
	waitHeld(t, ra, 0)
}

// What a relay sees is the recipient's key, sizes and times: its store
// holds no text of the messages and no trace of their sender.
func TestRelayStoreHoldsNoPlaintextNorSender(t *testing.T) {
	t.Parallel()
	r := startRelay(t, "bob-relay", nodeOpts{})
	aliceRelay := startRelay(t, "alice-relay", nodeOpts{})
	bob := startNode(t, "bob", nodeOpts{peers: []string{r.meshURL()}, relays: []envelope.Address{r.addr}})
	waitMembers(t, r, 1)
	bobAddr := bob.addr
	// Alice has a relay of her own, so her envelopes carry her relay
	// record. A first message while Bob is online teaches her his relays.
	alice := startNode(t, "alice", nodeOpts{peers: []string{r.meshURL(), aliceRelay.meshURL()}, relays: []envelope.Address{aliceRelay.addr}})
	waitMembers(t, aliceRelay, 1)
	alice.mustSend(bobAddr, message(alice.addr, bobAddr, "hello", "hi\r\n"))
	bob.waitInbox(1, 60*time.Second)
	// Alice asks Bob for his relays after the delivery, in the same session.
	alice.waitOutboxEmpty(30 * time.Second)
	bob.stop()
	secrets := []string{"Sphinx of black quartz, judge my vow", "The treasure is under the old oak", strings.Repeat("Long secret line.\r\n", 20000)}
	for i, text := range secrets {
		alice.mustSend(bobAddr, message(alice.addr, bobAddr, fmt.Sprintf("secret %d", i), text+"\r\n"))
	}
	waitHeld(t, r, len(secrets))
	r.stop() // everything on disk, nothing in memory

	files := readTree(t, filepath.Join(r.db, "relay"))
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
		"sender key":         alice.addr[:],
		"sender hex":         []byte(alice.addr.Hex()),
		"sender hex (upper)": []byte(strings.ToUpper(alice.addr.Hex())),
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
	alice := startNode(t, "alice", nodeOpts{listen: true, notify: time.Second, reach: time.Second})
	bobDB := t.TempDir()
	bob := startNode(t, "bob", nodeOpts{db: bobDB})
	bobAddr := bob.addr
	bob.stop()
	msg := message(alice.addr, bobAddr, "patience", "later\r\n")
	alice.mustSend(bobAddr, msg)
	report := alice.inboxText(1, 30*time.Second)
	for _, want := range []string{"Action: delayed", "Status: 4.4.1", "Will-Retry-Until:", bobAddr.String(), "Subject: Delayed mail (still trying)", "In-Reply-To: <patience@test>"} {
		if !strings.Contains(report, want) {
			t.Errorf("delay report lacks %q:\n%s", want, report)
		}
	}
	bob = startNode(t, "bob", nodeOpts{db: bobDB, peers: []string{alice.meshURL()}})
	assertExactlyOnce(t, bob.waitInbox(1, 60*time.Second), [][]byte{msg})
	alice.waitSentAll(1, node.KeywordDelivered, 10*time.Second)
	if got := alice.waitInbox(1, time.Second); len(got) != 1 {
		t.Errorf("Alice has %d reports, want exactly the one delay notice", len(got))
	}
}

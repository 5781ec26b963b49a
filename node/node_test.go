package node_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/nodetest"
)

// TestTwoNodesExchangeMail: Alice and Bob, peered over loopback, write to
// each other; each message arrives once, byte-identical.
func TestTwoNodesExchangeMail(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}})

	toBob := nodetest.Message(alice.Addr, bob.Addr, "hello bob", "Hi Bob,\r\nthis came over the mesh.\r\n")
	alice.MustSend(bob.Addr, toBob)
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(1, 30*time.Second), [][]byte{toBob})

	toAlice := nodetest.Message(bob.Addr, alice.Addr, "hello alice", "Hi Alice,\r\nreceived, thanks.\r\n")
	bob.MustSend(alice.Addr, toAlice)
	nodetest.AssertExactlyOnce(t, alice.WaitInbox(1, 30*time.Second), [][]byte{toAlice})
	alice.WaitOutboxEmpty(10 * time.Second)
	bob.WaitOutboxEmpty(10 * time.Second)
}

// TestSendToSelf: a message to your own address is in your INBOX as soon as
// SMTP accepted it, without touching the mesh.
func TestSendToSelf(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	msg := nodetest.Message(alice.Addr, alice.Addr, "note to self", "remember the milk\r\n")
	alice.MustSend(alice.Addr, msg)
	nodetest.AssertExactlyOnce(t, alice.WaitInbox(1, time.Second), [][]byte{msg})
	rows, err := alice.Node.Store().Outbox()
	if err != nil || len(rows) != 0 {
		t.Fatalf("outbox after sending to self: %d rows, err %v; want none", len(rows), err)
	}
}

// TestBurstArrivesWithoutWaiting: 100 messages sent back to back all arrive,
// once each, driven by the queue's kick rather than a timer.
func TestBurstArrivesWithoutWaiting(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}})
	const n = 100
	var want [][]byte
	for i := range n {
		want = append(want, nodetest.Message(alice.Addr, bob.Addr, fmt.Sprintf("burst %d", i), fmt.Sprintf("message number %d\r\n", i)))
	}
	start := time.Now()
	if err := alice.SendMany(bob.Addr, want); err != nil {
		t.Fatalf("send burst: %v", err)
	}
	t.Logf("burst of %d messages: all accepted by SMTP after %s", n, time.Since(start).Round(time.Millisecond))
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(n, 60*time.Second), want)
	t.Logf("burst of %d messages: submitted and all in the recipient's INBOX after %s", n, time.Since(start).Round(time.Millisecond))
}

// TestThreeNodesInALine: Alice — Mallory — Bob; mail crosses the middle node,
// which is an ordinary mesh router and holds no mailbox for them.
func TestThreeNodesInALine(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	middle := nodetest.Start(t, "middle", nodetest.Options{Listen: true, Peers: []string{alice.MeshURL()}})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{middle.MeshURL()}})
	msg := nodetest.Message(alice.Addr, bob.Addr, "two hops", "across the middle node\r\n")
	alice.MustSend(bob.Addr, msg)
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(1, 45*time.Second), [][]byte{msg})
	reply := nodetest.Message(bob.Addr, alice.Addr, "two hops back", "and back again\r\n")
	bob.MustSend(alice.Addr, reply)
	nodetest.AssertExactlyOnce(t, alice.WaitInbox(1, 45*time.Second), [][]byte{reply})
}

// TestOfflineRecipientGetsMailWhenBack: Bob is down while Alice sends;
// Alice's node restarts while holding the mail; when Bob comes back his mail
// arrives within seconds of the two nodes seeing each other.
func TestOfflineRecipientGetsMailWhenBack(t *testing.T) {
	t.Parallel()
	bobDB := t.TempDir()
	bobAddr := addressOf(t, bobDB)
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	var want [][]byte
	for i := range 3 {
		msg := nodetest.Message(alice.Addr, bobAddr, fmt.Sprintf("while you were away %d", i), "queued at the sender\r\n")
		alice.MustSend(bobAddr, msg)
		want = append(want, msg)
	}
	// The queue has tried and failed at least once before the restart.
	waitAttempted(t, alice, 30*time.Second)
	aliceDB := alice.DB
	alice.Stop()
	alice = nodetest.Start(t, "alice-again", nodetest.Options{DB: aliceDB, Listen: true})

	start := time.Now()
	bob := nodetest.Start(t, "bob", nodetest.Options{DB: bobDB, Peers: []string{alice.MeshURL()}})
	got := bob.WaitInbox(len(want), 20*time.Second)
	t.Logf("offline recipient: mail in INBOX %s after the recipient started", time.Since(start).Round(time.Millisecond))
	nodetest.AssertExactlyOnce(t, got, want)
	alice.WaitOutboxEmpty(10 * time.Second)
}

// TestForgedFromIsRefused: a message whose From header names someone other
// than the sending user is refused at submission and never queued.
func TestForgedFromIsRefused(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}})
	forged := nodetest.Message(bob.Addr, bob.Addr, "forged", "pretending to be bob\r\n")
	err := alice.Send([]envelope.Address{bob.Addr}, forged)
	if err == nil {
		t.Fatal("SMTP accepted a message whose From is another user")
	}
	var serr *smtp.SMTPError
	if !errors.As(err, &serr) || serr.Code != 550 || serr.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Errorf("error %v: want 550 5.7.1", err)
	}
	if !strings.Contains(err.Error(), alice.Addr.String()) {
		t.Errorf("error %q does not say which address is allowed", err)
	}
}

// addressOf opens a database once to learn the address it will have.
func addressOf(t *testing.T, db string) envelope.Address {
	t.Helper()
	tn := nodetest.Start(t, "probe", nodetest.Options{DB: db})
	addr := tn.Addr
	tn.Stop()
	return addr
}

// waitAttempted waits until the queue has recorded a failed attempt.
func waitAttempted(t *testing.T, tn *nodetest.Node, within time.Duration) {
	t.Helper()
	var rows []mailbox.Outbound
	tried := testkit.Poll(within, func() bool {
		var err error
		rows, err = tn.Node.Store().Outbox()
		if err != nil {
			t.Fatalf("outbox: %v", err)
		}
		return slices.ContainsFunc(rows, func(r mailbox.Outbound) bool { return r.Attempts > 0 })
	})
	if !tried {
		t.Fatalf("queue made no attempt within %s (%d rows)", within, len(rows))
	}
}

// TestRefusedMessageBounces: the recipient's node refuses a message that is
// over its size limit; the sender gets a delivery status notification in
// INBOX naming the recipient and the reason, and the queue lets it go.
func TestRefusedMessageBounces(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}, Limit: 4 << 10})
	big := nodetest.Message(alice.Addr, bob.Addr, "too big for bob", strings.Repeat("z", 70)+"\r\n")
	big = append(big, []byte(strings.Repeat(strings.Repeat("z", 70)+"\r\n", 200))...)
	alice.MustSend(bob.Addr, big)
	got := alice.WaitInbox(1, 30*time.Second)
	report := string(got[0])
	for _, want := range []string{
		"multipart/report; report-type=delivery-status",
		"Final-Recipient: rfc822; " + bob.Addr.String(),
		"Action: failed",
		"Status: 5.3.4",
		"In-Reply-To: <too.big.for.bob@test>",
		"Content-Type: text/rfc822-headers",
		"Subject: too big for bob",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("delivery report lacks %q:\n%s", want, report)
		}
	}
	alice.WaitOutboxEmpty(10 * time.Second)
	if n := len(bob.WaitInbox(0, time.Second)); n != 0 {
		t.Errorf("bob's INBOX holds %d messages, want none", n)
	}
}

// TestComebackAcrossMiddleNode: Alice and Bob are not peered with each other,
// only with a middle node, so the mesh reports nothing to Alice when Bob
// returns. Bob's node greets its recent correspondents when it starts, and
// Alice, which holds mail for Bob, delivers at once — before its next
// scheduled retry.
func TestComebackAcrossMiddleNode(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for several failed delivery attempts")
	}
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	middle := nodetest.Start(t, "middle", nodetest.Options{Listen: true, Peers: []string{alice.MeshURL()}})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{middle.MeshURL()}})
	// They have written to each other before.
	alice.MustSend(bob.Addr, nodetest.Message(alice.Addr, bob.Addr, "hello", "first\r\n"))
	bob.WaitInbox(1, 45*time.Second)
	bob.MustSend(alice.Addr, nodetest.Message(bob.Addr, alice.Addr, "hello back", "second\r\n"))
	alice.WaitInbox(1, 45*time.Second)
	// Bob remembers Alice as a correspondent once his delivery is done.
	bob.WaitOutboxEmpty(30 * time.Second)

	bobDB := bob.DB
	bob.Stop()
	want := nodetest.Message(alice.Addr, bob.Addr, "while you were away", "queued\r\n")
	alice.MustSend(bob.Addr, want)
	// Wait until the queue has backed off far enough that its own next
	// attempt is clearly later than a greeting could arrive.
	next := waitRetryLater(t, alice, 6*time.Second, 90*time.Second)

	start := time.Now()
	bob = nodetest.Start(t, "bob-again", nodetest.Options{DB: bobDB, Peers: []string{middle.MeshURL()}})
	got := bob.WaitInbox(2, 30*time.Second)
	arrived := time.Now()
	t.Logf("comeback across a middle node: mail in INBOX %s after the recipient started; the sender's next retry was due in %s",
		arrived.Sub(start).Round(time.Millisecond), next.Sub(start).Round(time.Millisecond))
	if !arrived.Before(next) {
		t.Errorf("mail arrived at the scheduled retry, not when the recipient came back")
	}
	nodetest.AssertExactlyOnce(t, got[1:], [][]byte{want})
}

// waitRetryLater waits until the sender's queued envelope is scheduled at
// least ahead into the future, and returns that time.
func waitRetryLater(t *testing.T, tn *nodetest.Node, ahead, within time.Duration) time.Time {
	t.Helper()
	var rows []mailbox.Outbound
	if !testkit.Poll(within, func() bool {
		var err error
		rows, err = tn.Node.Store().Outbox()
		if err != nil {
			t.Fatalf("outbox: %v", err)
		}
		return len(rows) == 1 && time.Until(rows[0].NextAttempt) >= ahead
	}) {
		t.Fatalf("no retry scheduled %s ahead within %s (%d rows)", ahead, within, len(rows))
	}
	return rows[0].NextAttempt
}

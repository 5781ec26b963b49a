package node_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
)

// TestTwoNodesExchangeMail: Alice and Bob, peered over loopback, write to
// each other; each message arrives once, byte-identical.
func TestTwoNodesExchangeMail(t *testing.T) {
	t.Parallel()
	alice := startNode(t, "alice", nodeOpts{listen: true})
	bob := startNode(t, "bob", nodeOpts{peers: []string{alice.meshURL()}})

	toBob := message(alice.addr, bob.addr, "hello bob", "Hi Bob,\r\nthis came over the mesh.\r\n")
	alice.mustSend(bob.addr, toBob)
	assertExactlyOnce(t, bob.waitInbox(1, 30*time.Second), [][]byte{toBob})

	toAlice := message(bob.addr, alice.addr, "hello alice", "Hi Alice,\r\nreceived, thanks.\r\n")
	bob.mustSend(alice.addr, toAlice)
	assertExactlyOnce(t, alice.waitInbox(1, 30*time.Second), [][]byte{toAlice})
	alice.waitOutboxEmpty(10 * time.Second)
	bob.waitOutboxEmpty(10 * time.Second)
}

// TestSendToSelf: a message to your own address is in your INBOX as soon as
// SMTP accepted it, without touching the mesh.
func TestSendToSelf(t *testing.T) {
	t.Parallel()
	alice := startNode(t, "alice", nodeOpts{listen: true})
	msg := message(alice.addr, alice.addr, "note to self", "remember the milk\r\n")
	alice.mustSend(alice.addr, msg)
	assertExactlyOnce(t, alice.waitInbox(1, time.Second), [][]byte{msg})
	rows, err := alice.node.Store().Outbox()
	if err != nil || len(rows) != 0 {
		t.Fatalf("outbox after sending to self: %d rows, err %v; want none", len(rows), err)
	}
}

// TestBurstArrivesWithoutWaiting: 100 messages sent back to back all arrive,
// once each, driven by the queue's kick rather than a timer.
func TestBurstArrivesWithoutWaiting(t *testing.T) {
	t.Parallel()
	alice := startNode(t, "alice", nodeOpts{listen: true})
	bob := startNode(t, "bob", nodeOpts{peers: []string{alice.meshURL()}})
	const n = 100
	var want [][]byte
	for i := range n {
		want = append(want, message(alice.addr, bob.addr, fmt.Sprintf("burst %d", i), fmt.Sprintf("message number %d\r\n", i)))
	}
	start := time.Now()
	if err := alice.sendMany(bob.addr, want); err != nil {
		t.Fatalf("send burst: %v", err)
	}
	t.Logf("burst of %d messages: all accepted by SMTP after %s", n, time.Since(start).Round(time.Millisecond))
	assertExactlyOnce(t, bob.waitInbox(n, 60*time.Second), want)
	t.Logf("burst of %d messages: submitted and all in the recipient's INBOX after %s", n, time.Since(start).Round(time.Millisecond))
}

// TestThreeNodesInALine: Alice — Mallory — Bob; mail crosses the middle node,
// which is an ordinary mesh router and holds no mailbox for them.
func TestThreeNodesInALine(t *testing.T) {
	t.Parallel()
	alice := startNode(t, "alice", nodeOpts{listen: true})
	middle := startNode(t, "middle", nodeOpts{listen: true, peers: []string{alice.meshURL()}})
	bob := startNode(t, "bob", nodeOpts{peers: []string{middle.meshURL()}})
	msg := message(alice.addr, bob.addr, "two hops", "across the middle node\r\n")
	alice.mustSend(bob.addr, msg)
	assertExactlyOnce(t, bob.waitInbox(1, 45*time.Second), [][]byte{msg})
	reply := message(bob.addr, alice.addr, "two hops back", "and back again\r\n")
	bob.mustSend(alice.addr, reply)
	assertExactlyOnce(t, alice.waitInbox(1, 45*time.Second), [][]byte{reply})
}

// TestOfflineRecipientGetsMailWhenBack: Bob is down while Alice sends;
// Alice's node restarts while holding the mail; when Bob comes back his mail
// arrives within seconds of the two nodes seeing each other.
func TestOfflineRecipientGetsMailWhenBack(t *testing.T) {
	t.Parallel()
	bobDB := t.TempDir()
	bobAddr := addressOf(t, bobDB)
	alice := startNode(t, "alice", nodeOpts{listen: true})
	var want [][]byte
	for i := range 3 {
		msg := message(alice.addr, bobAddr, fmt.Sprintf("while you were away %d", i), "queued at the sender\r\n")
		alice.mustSend(bobAddr, msg)
		want = append(want, msg)
	}
	// The queue has tried and failed at least once before the restart.
	waitAttempted(t, alice, 30*time.Second)
	aliceDB := alice.db
	alice.stop()
	alice = startNode(t, "alice-again", nodeOpts{db: aliceDB, listen: true})

	start := time.Now()
	bob := startNode(t, "bob", nodeOpts{db: bobDB, peers: []string{alice.meshURL()}})
	got := bob.waitInbox(len(want), 20*time.Second)
	t.Logf("offline recipient: mail in INBOX %s after the recipient started", time.Since(start).Round(time.Millisecond))
	assertExactlyOnce(t, got, want)
	alice.waitOutboxEmpty(10 * time.Second)
}

// TestForgedFromIsRefused: a message whose From header names someone other
// than the sending user is refused at submission and never queued.
func TestForgedFromIsRefused(t *testing.T) {
	t.Parallel()
	alice := startNode(t, "alice", nodeOpts{listen: true})
	bob := startNode(t, "bob", nodeOpts{peers: []string{alice.meshURL()}})
	forged := message(bob.addr, bob.addr, "forged", "pretending to be bob\r\n")
	err := alice.send([]envelope.Address{bob.addr}, forged)
	if err == nil {
		t.Fatal("SMTP accepted a message whose From is another user")
	}
	var serr *smtp.SMTPError
	if !errors.As(err, &serr) || serr.Code != 550 || serr.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Errorf("error %v: want 550 5.7.1", err)
	}
	if !strings.Contains(err.Error(), alice.addr.String()) {
		t.Errorf("error %q does not say which address is allowed", err)
	}
}

// addressOf opens a database once to learn the address it will have.
func addressOf(t *testing.T, db string) envelope.Address {
	t.Helper()
	tn := startNode(t, "probe", nodeOpts{db: db})
	addr := tn.addr
	tn.stop()
	return addr
}

// waitAttempted waits until the queue has recorded a failed attempt.
func waitAttempted(t *testing.T, tn *testNode, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rows, err := tn.node.Store().Outbox()
		if err != nil {
			t.Fatalf("outbox: %v", err)
		}
		tried := false
		for _, r := range rows {
			tried = tried || r.Attempts > 0
		}
		if tried {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue made no attempt within %s (%d rows)", within, len(rows))
		}
		waitABit(deadline)
	}
}

// TestRefusedMessageBounces: the recipient's node refuses a message that is
// over its size limit; the sender gets a delivery status notification in
// INBOX naming the recipient and the reason, and the queue lets it go.
func TestRefusedMessageBounces(t *testing.T) {
	t.Parallel()
	alice := startNode(t, "alice", nodeOpts{listen: true})
	bob := startNode(t, "bob", nodeOpts{peers: []string{alice.meshURL()}, limit: 4 << 10})
	big := message(alice.addr, bob.addr, "too big for bob", strings.Repeat("z", 70)+"\r\n")
	big = append(big, []byte(strings.Repeat(strings.Repeat("z", 70)+"\r\n", 200))...)
	alice.mustSend(bob.addr, big)
	got := alice.waitInbox(1, 30*time.Second)
	report := string(got[0])
	for _, want := range []string{
		"multipart/report; report-type=delivery-status",
		"Final-Recipient: rfc822; " + bob.addr.String(),
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
	alice.waitOutboxEmpty(10 * time.Second)
	if n := len(bob.waitInbox(0, time.Second)); n != 0 {
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
	alice := startNode(t, "alice", nodeOpts{listen: true})
	middle := startNode(t, "middle", nodeOpts{listen: true, peers: []string{alice.meshURL()}})
	bob := startNode(t, "bob", nodeOpts{peers: []string{middle.meshURL()}})
	// They have written to each other before.
	alice.mustSend(bob.addr, message(alice.addr, bob.addr, "hello", "first\r\n"))
	bob.waitInbox(1, 45*time.Second)
	bob.mustSend(alice.addr, message(bob.addr, alice.addr, "hello back", "second\r\n"))
	alice.waitInbox(1, 45*time.Second)
	// Bob remembers Alice as a correspondent once his delivery is done.
	bob.waitOutboxEmpty(30 * time.Second)

	bobDB := bob.db
	bob.stop()
	want := message(alice.addr, bob.addr, "while you were away", "queued\r\n")
	alice.mustSend(bob.addr, want)
	// Wait until the queue has backed off far enough that its own next
	// attempt is clearly later than a greeting could arrive.
	next := waitRetryLater(t, alice, 6*time.Second, 90*time.Second)

	start := time.Now()
	bob = startNode(t, "bob-again", nodeOpts{db: bobDB, peers: []string{middle.meshURL()}})
	got := bob.waitInbox(2, 30*time.Second)
	arrived := time.Now()
	t.Logf("comeback across a middle node: mail in INBOX %s after the recipient started; the sender's next retry was due in %s",
		arrived.Sub(start).Round(time.Millisecond), next.Sub(start).Round(time.Millisecond))
	if !arrived.Before(next) {
		t.Errorf("mail arrived at the scheduled retry, not when the recipient came back")
	}
	assertExactlyOnce(t, got[1:], [][]byte{want})
}

// waitRetryLater waits until the sender's queued envelope is scheduled at
// least ahead into the future, and returns that time.
func waitRetryLater(t *testing.T, tn *testNode, ahead, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rows, err := tn.node.Store().Outbox()
		if err != nil {
			t.Fatalf("outbox: %v", err)
		}
		if len(rows) == 1 && time.Until(rows[0].NextAttempt) >= ahead {
			return rows[0].NextAttempt
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retry scheduled %s ahead within %s (%d rows)", ahead, within, len(rows))
		}
		waitABit(deadline)
	}
}

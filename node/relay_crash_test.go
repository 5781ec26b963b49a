package node_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
)

// Issue 4, proof 3: a relay killed with SIGKILL in the middle of a deposit
// and in the middle of a hand-over, then restarted on the same database and
// listen address, loses nothing and duplicates nothing. The relay runs in a
// child process (crash_test.go); Alice and Bob run in the test process,
// both members of the relay and peered only with it.

// relayBurst is how many messages of relayBurstBody each scenario sends.
const relayBurst = 30

// relayBurstBody is about 200 KiB, so that each deposit and each hand-over
// takes a moment on the wire and in the stores.
var relayBurstBody = strings.Repeat(strings.Repeat("0123456789abcdef", 4)+"\r\n", 3100)

// halfEnvelope is about half of one sealed burst message: the relay's
// process has moved that many bytes since its figures last changed when it
// is killed, so the kill lands inside a transfer, not between two.
const halfEnvelope = 96 << 10

// relayCrash is the cast of a relay crash scenario.
type relayCrash struct {
	t       *testing.T
	r       *childNode
	mesh    string // the relay's fixed listen URL, the others' only peer
	bobDB   string
	bobAddr envelope.Address
	alice   *nodetest.Node
}

// setUpRelayCrash starts the relay, registers Bob and stops him, then
// starts Alice and waits until she is a member too.
func setUpRelayCrash(t *testing.T) *relayCrash {
	t.Helper()
	if testing.Short() {
		t.Skip("starts and kills a relay process")
	}
	c := &relayCrash{t: t, mesh: "tcp://" + freeLoopbackPort(t), bobDB: t.TempDir()}
	c.r = newChild(t, "relay", c.mesh, "").with("CHILD_RELAY=1")
	c.r.start()
	if st := c.r.waitRelay(10*time.Second, "a status line", func(childStatus) bool { return true }); st.Read < 0 {
		t.Skip("needs /proc/self/io (Linux) to see a transfer to or from the relay in progress")
	}
	bob := c.startBob()
	c.r.waitRelay(30*time.Second, "Bob's registration", func(st childStatus) bool { return st.Members == 1 })
	c.bobAddr = bob.Addr
	bob.Stop()
	// Bob is down whenever Alice sends: a short search for him saves time.
	c.alice = nodetest.Start(t, "alice", nodetest.Options{Peers: []string{c.mesh}, Relays: []envelope.Address{c.r.addr}, Reach: time.Second})
	// 70 s: once in about thirty runs a first membership session got
	// nowhere for its whole 30 s set-up bound; the membership loop then
	// opens another.
	c.r.waitRelay(70*time.Second, "Alice's registration", func(st childStatus) bool { return st.Members == 2 })
	return c
}

// startBob (re)starts Bob on his database, a member of the relay.
func (c *relayCrash) startBob() *nodetest.Node {
	return nodetest.Start(c.t, "bob", nodetest.Options{DB: c.bobDB, Peers: []string{c.mesh}, Relays: []envelope.Address{c.r.addr}})
}

// sendBurst submits relayBurst messages from Alice to Bob and returns them.
func (c *relayCrash) sendBurst() [][]byte {
	c.t.Helper()
	var want [][]byte
	for i := range relayBurst {
		subject := fmt.Sprintf("relay crash %d", i)
		want = append(want, nodetest.Message(c.alice.Addr, c.bobAddr, subject, fmt.Sprintf("number %d\r\n%s", i, relayBurstBody)))
	}
	if err := c.alice.SendMany(c.bobAddr, want); err != nil {
		c.t.Fatalf("alice sends the burst: %v", err)
	}
	return want
}

// restartRelay starts the killed relay again on the same database and
// listen address and logs what it holds.
func (c *relayCrash) restartRelay() childStatus {
	c.t.Helper()
	c.r.start()
	st := c.r.waitRelay(10*time.Second, "a status line", func(childStatus) bool { return true })
	c.t.Logf("relay restarted: %s", st)
	return st
}

// finish checks the end state: Bob holds every message exactly once, Alice
// learnt that each was delivered and her outbox drained, and the relay
// holds nothing.
func (c *relayCrash) finish(bob *nodetest.Node, want [][]byte) {
	c.t.Helper()
	nodetest.AssertExactlyOnce(c.t, bob.WaitInbox(len(want), 90*time.Second), want)
	c.alice.WaitSentAll(len(want), node.KeywordDelivered, 60*time.Second)
	c.alice.WaitOutboxEmpty(30 * time.Second)
	st := c.r.waitRelay(30*time.Second, "an empty relay", func(st childStatus) bool { return st.Envelopes == 0 })
	c.t.Logf("relay at the end: %s", st)
	// Nothing came twice while the rest settled.
	if n := inboxMessages(c.t, bob); n != len(want) {
		c.t.Errorf("bob's INBOX holds %d messages at the end, want %d", n, len(want))
	}
}

// inboxMessages counts tn's INBOX in its store.
func inboxMessages(t *testing.T, tn *nodetest.Node) int {
	t.Helper()
	st, err := tn.Node.Store().Status(mailbox.Inbox)
	if err != nil {
		t.Fatalf("status of %s's INBOX: %v", tn.Name, err)
	}
	return int(st.Messages)
}

// custodyRows counts tn's outbox rows that a relay holds, and returns the
// most attempts any row took.
func custodyRows(t *testing.T, tn *nodetest.Node) (held, total, attempts int) {
	t.Helper()
	rows, err := tn.Node.Store().Outbox()
	if err != nil {
		t.Fatalf("outbox of %s: %v", tn.Name, err)
	}
	for _, r := range rows {
		if !r.Custody.IsZero() {
			held++
		}
		attempts = max(attempts, r.Attempts)
	}
	return held, len(rows), attempts
}

// The relay is killed while Alice's burst is being deposited; Alice's
// queue deposits the rest (and again what was cut off) once it is back, and
// Bob, starting after, gets every message once.
func TestRelayKillDuringDeposit(t *testing.T) {
	c := setUpRelayCrash(t)
	want := c.sendBurst()
	st := c.r.waitRelay(90*time.Second, "a deposit half read", func(st childStatus) bool {
		return st.Envelopes >= 3 && st.Envelopes < relayBurst && st.ReadSince >= halfEnvelope
	})
	c.r.kill()
	held, rows, _ := custodyRows(t, c.alice)
	t.Logf("relay killed at %s, %d bytes read since; Alice's outbox: %d of %d rows in custody", st, st.ReadSince, held, rows)
	if held >= relayBurst {
		t.Fatalf("every deposit had finished before the kill")
	}

	c.restartRelay()
	st = c.r.waitRelay(120*time.Second, "the whole burst held", func(st childStatus) bool { return st.Envelopes == relayBurst })
	c.alice.WaitSentAll(relayBurst, node.KeywordRelayed, 30*time.Second)
	held, rows, attempts := custodyRows(t, c.alice)
	t.Logf("after the restart: %s; Alice's outbox: %d of %d rows in custody, at most %d attempts", st, held, rows, attempts)
	if attempts < 2 {
		t.Errorf("no deposit of Alice's needed a second attempt: the kill cut none")
	}

	bob := c.startBob()
	c.finish(bob, want)
}

// The relay is killed twice while it hands Bob his mail: first the moment
// Bob's node has stored an envelope (before or just after the relay got his
// acknowledgement), then while an envelope is on the wire. After each
// restart Bob's membership session comes back and collects the rest; what
// he stored but the relay had not yet deleted is not filed twice.
func TestRelayKillDuringHandOver(t *testing.T) {
	c := setUpRelayCrash(t)
	want := c.sendBurst()
	c.r.waitRelay(120*time.Second, "the whole burst held", func(st childStatus) bool { return st.Envelopes == relayBurst })
	c.alice.WaitSentAll(relayBurst, node.KeywordRelayed, 30*time.Second)

	bob := c.startBob()
	got := killOnInbox(t, c.r, bob, 2)
	st := c.restartRelay()
	t.Logf("relay killed when Bob's INBOX held %d; it came back holding %d (%d stored by Bob and still held)",
		got, st.Envelopes, got+st.Envelopes-relayBurst)
	if got >= relayBurst {
		t.Fatalf("bob's INBOX holds all %d at the kill: the kill did not land in the hand-over", got)
	}

	st = c.r.waitRelay(60*time.Second, "a hand-over half written", func(st childStatus) bool {
		return st.HandOvers >= 3 && st.Envelopes > 0 && st.WrittenSince >= halfEnvelope
	})
	c.r.kill()
	got = inboxMessages(t, bob)
	t.Logf("relay killed again at %s, %d bytes written since; Bob's INBOX holds %d", st, st.WrittenSince, got)
	if got >= relayBurst {
		t.Fatalf("bob's INBOX holds all %d at the second kill: the kill did not land in the hand-over", got)
	}

	c.restartRelay()
	c.finish(bob, want)
}

// killOnInbox kills relay r the moment tn's INBOX holds n messages, and
// returns how many it holds just after.
func killOnInbox(t *testing.T, r *childNode, tn *nodetest.Node, n int) int {
	t.Helper()
	w, err := tn.Node.Store().Watch(mailbox.Inbox)
	if err != nil {
		t.Fatalf("watch %s's INBOX: %v", tn.Name, err)
	}
	defer w.Close()
	have := inboxMessages(t, tn)
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	for have < n {
		select {
		case ch, ok := <-w.C():
			if !ok {
				t.Fatalf("watch %s's INBOX ended: %v", tn.Name, w.Err())
			}
			if ch.Kind == mailbox.Added {
				have++
			}
		case <-deadline.C:
			t.Fatalf("%s's INBOX holds %d within 60s, want %d", tn.Name, have, n)
		}
	}
	r.kill()
	return inboxMessages(t, tn)
}

package node_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/relay"
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

// relayCrash is the cast of a relay crash scenario.
type relayCrash struct {
	t       *testing.T
	r       *childNode
	mesh    string // the relay's fixed listen URL, the others' only peer
	bobDB   string
	bobAddr envelope.Address
	alice   *testNode
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
	bob := c.startBob()
	c.r.waitRelay(30*time.Second, "Bob's registration", func(st relay.Status) bool { return st.Members == 1 })
	c.bobAddr = bob.addr
	bob.stop()
	c.alice = startNode(t, "alice", nodeOpts{peers: []string{c.mesh}, relays: []envelope.Address{c.r.addr}})
	c.r.waitRelay(30*time.Second, "Alice's registration", func(st relay.Status) bool { return st.Members == 2 })
	return c
}

// startBob (re)starts Bob on his database, a member of the relay.
func (c *relayCrash) startBob() *testNode {
	return startNode(c.t, "bob", nodeOpts{db: c.bobDB, peers: []string{c.mesh}, relays: []envelope.Address{c.r.addr}})
}

// sendBurst submits relayBurst messages from Alice to Bob and returns them.
func (c *relayCrash) sendBurst() [][]byte {
	c.t.Helper()
	var want [][]byte
	for i := range relayBurst {
		subject := fmt.Sprintf("relay crash %d", i)
		want = append(want, message(c.alice.addr, c.bobAddr, subject, fmt.Sprintf("number %d\r\n%s", i, relayBurstBody)))
	}
	if err := c.alice.sendMany(c.bobAddr, want); err != nil {
		c.t.Fatalf("alice sends the burst: %v", err)
	}
	return want
}

// restartRelay starts the killed relay again on the same database and
// listen address and logs what it holds.
func (c *relayCrash) restartRelay() {
	c.t.Helper()
	c.r.start()
	st := c.r.waitRelay(10*time.Second, "a status line", func(relay.Status) bool { return true })
	c.t.Logf("relay restarted: %s", relayStatusLine(st))
}

// finish checks the end state: Bob holds every message exactly once, Alice
// learnt that each was delivered and her outbox drained, and the relay
// holds nothing.
func (c *relayCrash) finish(bob *testNode, want [][]byte) {
	c.t.Helper()
	assertExactlyOnce(c.t, bob.waitInbox(len(want), 90*time.Second), want)
	c.alice.waitSentAll(len(want), node.KeywordDelivered, 60*time.Second)
	c.alice.waitOutboxEmpty(30 * time.Second)
	st := c.r.waitRelay(30*time.Second, "an empty relay", func(st relay.Status) bool { return st.Envelopes == 0 })
	c.t.Logf("relay at the end: %s", relayStatusLine(st))
	// Nothing came twice while the rest settled.
	if n := inboxMessages(c.t, bob); n != len(want) {
		c.t.Errorf("bob's INBOX holds %d messages at the end, want %d", n, len(want))
	}
}

// inboxMessages counts tn's INBOX in its store.
func inboxMessages(t *testing.T, tn *testNode) int {
	t.Helper()
	st, err := tn.node.Store().Status(mailbox.Inbox)
	if err != nil {
		t.Fatalf("status of %s's INBOX: %v", tn.name, err)
	}
	return int(st.Messages)
}

// custodyRows counts Alice's outbox rows that a relay holds.
func custodyRows(t *testing.T, tn *testNode) (held, total int) {
	t.Helper()
	rows, err := tn.node.Store().Outbox()
	if err != nil {
		t.Fatalf("outbox of %s: %v", tn.name, err)
	}
	for _, r := range rows {
		if !r.Custody.IsZero() {
			held++
		}
	}
	return held, len(rows)
}

// The relay is killed while Alice's burst is being deposited; Alice's
// queue deposits the rest (and again what was cut off) once it is back, and
// Bob, starting after, gets every message once.
func TestRelayKillDuringDeposit(t *testing.T) {
	c := setUpRelayCrash(t)
	want := c.sendBurst()
	st := c.r.waitRelay(90*time.Second, "deposits in progress", func(st relay.Status) bool {
		return st.Envelopes >= 3 && st.Envelopes < relayBurst
	})
	c.r.kill()
	held, rows := custodyRows(t, c.alice)
	t.Logf("relay killed at %s; Alice's outbox: %d of %d rows in custody", relayStatusLine(st), held, rows)
	if held >= relayBurst {
		t.Fatalf("every deposit had finished before the kill")
	}

	c.restartRelay()
	st = c.r.waitRelay(120*time.Second, "the whole burst held", func(st relay.Status) bool { return st.Envelopes == relayBurst })
	c.alice.waitSentAll(relayBurst, node.KeywordRelayed, 30*time.Second)
	t.Logf("after the restart: %s", relayStatusLine(st))

	bob := c.startBob()
	c.finish(bob, want)
}

// The relay is killed while it hands Bob his mail; after the restart Bob's
// membership session comes back and collects the rest, and what he had
// stored but the relay had not yet deleted is not filed twice.
func TestRelayKillDuringHandOver(t *testing.T) {
	c := setUpRelayCrash(t)
	want := c.sendBurst()
	c.r.waitRelay(120*time.Second, "the whole burst held", func(st relay.Status) bool { return st.Envelopes == relayBurst })
	c.alice.waitSentAll(relayBurst, node.KeywordRelayed, 30*time.Second)

	bob := c.startBob()
	st := c.r.waitRelay(60*time.Second, "a hand-over in progress", func(st relay.Status) bool { return st.HandOvers >= 3 })
	c.r.kill()
	got := inboxMessages(t, bob)
	t.Logf("relay killed at %s; Bob's INBOX holds %d", relayStatusLine(st), got)
	if got < 1 || got >= relayBurst {
		t.Fatalf("bob's INBOX holds %d at the kill, want between 1 and %d: the kill did not land in the hand-over", got, relayBurst-1)
	}

	c.restartRelay()
	c.finish(bob, want)
}

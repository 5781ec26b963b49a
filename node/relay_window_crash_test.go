package node_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
)

// windowBurst is how many small messages the window scenario sends: many
// more than a hand-over has in flight at once, so the kill lands with a
// window of envelopes on the wire, some stored by Bob and acknowledged but
// not yet deleted by the relay's batched deletes.
const windowBurst = 300

// The relay is killed in the middle of a pipelined hand-over of many small
// envelopes, once Bob's INBOX holds a third of them. Whatever the window
// held at that moment — on the wire, stored by Bob but unanswered, or
// answered but not yet deleted — is handed over again after the restart,
// and Bob files each message exactly once.
func TestRelayKillInsideAHandOverWindow(t *testing.T) {
	c := setUpRelayCrash(t)
	var want [][]byte
	for i := range windowBurst {
		want = append(want, nodetest.Message(c.alice.Addr, c.bobAddr, fmt.Sprintf("window %d", i), fmt.Sprintf("number %d\r\n", i)))
	}
	if err := c.alice.SendMany(c.bobAddr, want); err != nil {
		t.Fatalf("alice sends the burst: %v", err)
	}
	c.r.waitRelay(120*time.Second, "the whole burst held", func(st childStatus) bool { return st.Envelopes == windowBurst })
	c.alice.WaitSentAll(windowBurst, node.KeywordRelayed, 60*time.Second)

	bob := c.startBob()
	got := killOnInbox(t, c.r, bob, windowBurst/3)
	st := c.restartRelay()
	t.Logf("relay killed when Bob's INBOX held %d; it came back holding %d (%d stored by Bob and still held)",
		got, st.Envelopes, got+st.Envelopes-windowBurst)
	if got >= windowBurst {
		t.Fatalf("bob's INBOX holds all %d at the kill: the kill did not land in the hand-over", got)
	}
	c.finish(bob, want)
}

package node_test

import (
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/control"
	"github.com/yggpost/yggpost/node/nodetest"
	"github.com/yggpost/yggpost/relay"
)

// callJSON runs a control command on the node of db and decodes its answer.
func callJSON(t *testing.T, db, command string, v any) {
	t.Helper()
	out, err := control.Call(db, control.Request{Command: command})
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	defer out.Close()
	b, err := io.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s answered %q: %v", command, b, err)
	}
}

// A relay lists its member through the control socket, with what it
// holds for it; the member's status shows its relay session open.
func TestControlRelayMembersAndStatus(t *testing.T) {
	t.Parallel()
	withControl := func(c *node.Config) { c.Control = true }
	r := startRelay(t, "relay", nodetest.Options{Tweak: withControl})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}, Tweak: withControl})
	waitMembers(t, r, 1)

	var members []relay.MemberUsage
	callJSON(t, r.DB, "relay-members", &members)
	if len(members) != 1 || members[0].Member != bob.Addr || members[0].Since.IsZero() || members[0].Envelopes != 0 {
		t.Errorf("relay members: %+v, want bob with nothing held", members)
	}
	testkit.WaitFor(t, 30*time.Second, "bob's relay session in his status", func() bool {
		var st node.Status
		callJSON(t, bob.DB, "status", &st)
		return len(st.RelayStates) == 1 && st.RelayStates[0].Open && st.RelayStates[0].Address == r.Addr.String()
	})
	c := bob.IMAP() // one mail client on bob
	defer c.Close()
	var bst node.Status
	callJSON(t, bob.DB, "status", &bst)
	if bst.IMAPSessions != 1 || bst.SMTPSessions != 0 {
		t.Errorf("bob's status counts %d IMAP and %d SMTP sessions, want 1 and 0", bst.IMAPSessions, bst.SMTPSessions)
	}
	var st node.Status
	callJSON(t, r.DB, "status", &st)
	if st.Relay == nil || st.Relay.Members != 1 {
		t.Errorf("the relay's status: %+v", st.Relay)
	}
}

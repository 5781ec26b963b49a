package nodetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/relay"
)

// The helpers below read a node's store and relay figures directly; they
// need a node that runs in the test process.

// WaitOutboxEmpty waits until the node's outbox is empty.
func (tn *Node) WaitOutboxEmpty(within time.Duration) {
	tn.T.Helper()
	var rows []mailbox.Outbound
	empty := testkit.Poll(within, func() bool {
		var err error
		rows, err = tn.Node.Store().Outbox()
		if err != nil {
			tn.T.Fatalf("outbox of %s: %v", tn.Name, err)
		}
		return len(rows) == 0
	})
	if !empty {
		tn.T.Fatalf("%s outbox still holds %d envelopes after %s (first: %s)", tn.Name, len(rows), within, rows[0].LastError)
	}
}

// RelayStatus returns the figures of a node with the relay role.
func (tn *Node) RelayStatus() relay.Status {
	tn.T.Helper()
	st, ok := tn.Node.RelayStatus()
	if !ok {
		tn.T.Fatalf("%s runs no relay", tn.Name)
	}
	return st
}

// SentKeywords returns the flags of every message in the node's Sent
// mailbox.
func (tn *Node) SentKeywords() [][]string {
	tn.T.Helper()
	msgs, err := tn.Node.Store().Messages(mailbox.Sent)
	if err != nil {
		tn.T.Fatalf("list Sent of %s: %v", tn.Name, err)
	}
	var out [][]string
	for _, m := range msgs {
		out = append(out, m.Flags)
	}
	return out
}

// WaitSentAll waits until Sent holds n messages and every one has keyword.
func (tn *Node) WaitSentAll(n int, keyword string, within time.Duration) {
	tn.T.Helper()
	testkit.WaitFor(tn.T, within, fmt.Sprintf("%d Sent messages of %s marked %s", n, tn.Name, keyword), func() bool {
		flags := tn.SentKeywords()
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

package clienttest_test

import (
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// envelopes returns the envelope and flags of every message in a mailbox.
func (tn *testNode) envelopes(mailbox string) []*imapclient.FetchMessageBuffer {
	tn.T.Helper()
	c := tn.IMAP()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		tn.T.Fatalf("SELECT %s on %s: %v", mailbox, tn.Name, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.UIDSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Envelope: true, Flags: true}).Collect()
	if err != nil {
		tn.T.Fatalf("FETCH %s on %s: %v", mailbox, tn.Name, err)
	}
	return msgs
}

// fromSelf counts the messages in the node's INBOX whose From is the
// node's own address.
func fromSelf(t *testing.T, tn *testNode) int {
	t.Helper()
	n := 0
	for _, m := range tn.envelopes("INBOX") {
		if m.Envelope != nil && len(m.Envelope.From) == 1 && m.Envelope.From[0].Addr() == tn.addr {
			n++
		}
	}
	return n
}

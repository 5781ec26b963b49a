package node

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

// TestSubmitStartsDeliveryAfterEveryCopy: when delivery of a submitted
// message starts, its row, its Sent copy and the user's own INBOX copy are
// all stored; a chat client's message has no Sent copy.
func TestSubmitStartsDeliveryAfterEveryCopy(t *testing.T) {
	n, _ := submissionNode(t, mailbox.Options{})
	f1, f2 := testAddress(t), testAddress(t)
	var started []envelope.Address
	n.deliver = func(row mailbox.Outbound) {
		rcpt := row.Recipient
		started = append(started, rcpt)
		rows, err := n.store.Outbox()
		if err != nil || len(rows) != 2 {
			t.Errorf("delivery to %s started with %d rows queued (%v), want 2", rcpt, len(rows), err)
			return
		}
		key, _ := mailbox.SentCopyKey(rows[0].MessageID)
		if box, _, ok, err := n.store.FindByKey(key); !ok || box != mailbox.Sent || err != nil {
			t.Errorf("delivery to %s started before its Sent copy was stored: %q %v %v", rcpt, box, ok, err)
		}
		if st, err := n.store.Status(mailbox.Inbox); err != nil || st.Messages != 1 {
			t.Errorf("delivery to %s started before the copy to self: %+v %v", rcpt, st, err)
		}
	}
	msg := fmt.Sprintf("From: <%s>\r\nTo: <%s>, <%s>\r\nMessage-ID: <commit.1@test>\r\nSubject: s\r\n\r\nbody\r\n", n.local, f1, n.local)
	if err := n.Submit(context.Background(), n.local, []envelope.Address{f1, n.local, f2}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if len(started) != 2 {
		t.Fatalf("delivery started for %v, want f1 and f2", started)
	}
	if st, err := n.store.Status(mailbox.Sent); err != nil || st.Messages != 1 || st.Unseen != 0 {
		t.Errorf("Sent: %+v (%v), want one message, seen", st, err)
	}
	// A chat client's message: rows, no Sent copy.
	started = nil
	n.deliver = func(row mailbox.Outbound) { started = append(started, row.Recipient) }
	chat := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nChat-Version: 1.0\r\nMessage-ID: <chat.1@test>\r\n\r\nhi\r\n", n.local, f1)
	if err := n.Submit(context.Background(), n.local, []envelope.Address{f1}, strings.NewReader(chat)); err != nil {
		t.Fatal(err)
	}
	if st, err := n.store.Status(mailbox.Sent); len(started) != 1 || err != nil || st.Messages != 1 {
		t.Errorf("chat message: delivery started for %v; Sent %+v (%v), want still one message", started, st, err)
	}
}

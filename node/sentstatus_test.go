package node

import (
	"testing"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

// heardOutcomes is an Observer that keeps the outcomes it hears.
type heardOutcomes struct {
	quietObserver
	heard []string
}

func (h *heardOutcomes) MessageOutcome(rcpt envelope.Address, messageID string, _ envelope.ID, o Outcome) {
	h.heard = append(h.heard, messageID+" "+o.String())
}

// The user's messages have their outcome told with their Message-ID; the
// node's own delivery receipts (no Message-ID kept, no Sent copy) do not.
func TestOutcomesAreToldForTheUsersMessagesOnly(t *testing.T) {
	h := &heardOutcomes{}
	sm := sentMarks{observer: h}
	rcpt := envelope.Address{9}
	sm.tell(mailbox.Outbound{Recipient: rcpt}, Delivered)                     // a receipt
	sm.tell(mailbox.Outbound{Recipient: rcpt, MessageID: "<a@x>"}, Relayed)   // a chat client's message
	sm.tell(mailbox.Outbound{Recipient: rcpt, SentCopy: [16]byte{1}}, Failed) // a row queued before Message-IDs were kept
	sm.tell(mailbox.Outbound{Recipient: rcpt, MessageID: "<b@x>", SentCopy: [16]byte{2}}, Delivered)
	want := []string{"<a@x> relayed", " failed", "<b@x> delivered"}
	if len(h.heard) != len(want) {
		t.Fatalf("heard %q, want %q", h.heard, want)
	}
	for i := range want {
		if h.heard[i] != want[i] {
			t.Errorf("outcome %d: %q, want %q", i, h.heard[i], want[i])
		}
	}
}

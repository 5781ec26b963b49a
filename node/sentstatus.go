package node

import (
	"log/slog"
	"slices"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/metrics"
)

// Keywords on the copy of a sent message in Sent, which mail clients show
// as tags. A message with several recipients is $Delivered once every
// recipient's node confirmed it, $Relayed while a relay holds a copy for a
// recipient who has not collected it yet, and $Failed when a copy bounced
// (the delivery report in INBOX says which recipient and why).
const (
	KeywordDelivered = "$Delivered"
	KeywordRelayed   = "$Relayed"
	KeywordFailed    = "$Failed"
)

// outcomeOf is the outcome a Sent keyword stands for.
var outcomeOf = map[string]Outcome{KeywordRelayed: Relayed, KeywordDelivered: Delivered, KeywordFailed: Failed}

// sentMarks shows the outcome of sent messages on their copies in Sent.
type sentMarks struct {
	store    *mailbox.Store
	observer Observer         // hears every outcome, also of messages without a Sent copy
	metrics  *metrics.Metrics // counts every outcome; nil counts nothing
	log      *slog.Logger
}

// markSent adds keyword add to the Sent copy of queue row it and removes
// the others in remove. A row without a Sent copy, or whose copy was moved
// or deleted, changes nothing.
func (sm sentMarks) markSent(it mailbox.Outbound, add string, remove ...string) {
	sm.tell(it, outcomeOf[add])
	sm.keyword(it, add, remove...)
}

// tell reports the outcome of row it to the observer, unless it is one of
// the node's own receipts (they have no Message-ID and no Sent copy).
func (sm sentMarks) tell(it mailbox.Outbound, o Outcome) {
	if it.MessageID == "" && it.SentCopy == ([16]byte{}) {
		return
	}
	sm.count(it, o)
	sm.observer.MessageOutcome(it.Recipient, it.MessageID, it.ID, o)
}

// keyword adds add to the Sent copy of row it and removes remove.
func (sm sentMarks) keyword(it mailbox.Outbound, add string, remove ...string) {
	if it.SentCopy == ([16]byte{}) {
		return
	}
	box, uid, ok, err := sm.store.FindByKey(it.SentCopy)
	if err != nil || !ok {
		if err != nil {
			sm.log.Warn("find the Sent copy", "id", it.ID.String(), "err", err)
		}
		return
	}
	msgs, err := sm.store.StoreFlags(box, []uint32{uid}, mailbox.FlagsAdd, []string{add})
	if err != nil {
		sm.log.Warn("update the Sent copy's keywords", "mailbox", box, "uid", uid, "err", err)
		return
	}
	// The common case carries none of remove: one write, not two.
	if len(msgs) == 1 && !slices.ContainsFunc(remove, func(k string) bool { return slices.Contains(msgs[0].Flags, k) }) {
		return
	}
	if _, err := sm.store.StoreFlags(box, []uint32{uid}, mailbox.FlagsRemove, remove); err != nil {
		sm.log.Warn("update the Sent copy's keywords", "mailbox", box, "uid", uid, "err", err)
	}
}

// markDelivered records that row it reached its recipient: the Sent copy
// becomes $Delivered once no other recipient's row of the same message is
// left in the queue.
func (sm sentMarks) markDelivered(it mailbox.Outbound) {
	sm.tell(it, Delivered)
	if it.SentCopy == ([16]byte{}) {
		return
	}
	waiting, err := sm.store.OthersShareSentCopy(it.SentCopy, it.ID)
	if err != nil {
		sm.log.Warn("look up the other recipients of a message", "err", err)
		return
	}
	if !waiting {
		sm.keyword(it, KeywordDelivered, KeywordRelayed)
	}
}

// count records outcome o of queue row it. A delivery receipt for a row
// in a relay's custody confirms a message already counted as relayed.
func (sm sentMarks) count(it mailbox.Outbound, o Outcome) {
	switch {
	case o == Relayed:
		sm.metrics.Delivered(metrics.ViaRelay, it.Created)
	case o == Delivered && it.Custody.IsZero():
		sm.metrics.Delivered(metrics.ViaDirect, it.Created)
	case o == Delivered:
		sm.metrics.Confirmed()
	case o == Failed:
		sm.metrics.Bounced()
	}
}

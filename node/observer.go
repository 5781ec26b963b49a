package node

import (
	"github.com/yggpost/yggpost/envelope"
)

// Outcome is what became of a message the user sent, for one recipient.
type Outcome int

// The outcomes of a sent message, as the Sent copy's keywords show them.
const (
	// Relayed: the recipient was offline and a relay holds the message.
	Relayed Outcome = iota + 1
	// Delivered: the recipient's node stored the message.
	Delivered
	// Failed: the message bounced; the report is in INBOX.
	Failed
)

func (o Outcome) String() string {
	switch o {
	case Relayed:
		return "relayed"
	case Delivered:
		return "delivered"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Observer hears what a running node does, for an app that embeds it
// (Config.Observer). Its methods are called on the node's own goroutines,
// at most once per event, and must return quickly.
type Observer interface {
	// MessageStored: a message from another node, or the user's own copy
	// of a message to self, is stored in mailbox under uid.
	MessageStored(mailbox string, uid uint32, from envelope.Address)
	// MessageOutcome: the user's message with Message-ID messageID ("<…>")
	// to rcpt, sent under envelope id, was relayed, delivered or failed.
	// The node's own delivery receipts are not reported.
	MessageOutcome(rcpt envelope.Address, messageID string, id envelope.ID, outcome Outcome)
	// Connectivity: the node has peers peering links up and relays relay
	// sessions open. It is called when a link comes up or goes down and
	// when a relay session opens or ends.
	Connectivity(peers, relays int)
}

// quietObserver is the Observer of a node that has none.
type quietObserver struct{}

func (quietObserver) MessageStored(string, uint32, envelope.Address)                {}
func (quietObserver) MessageOutcome(envelope.Address, string, envelope.ID, Outcome) {}
func (quietObserver) Connectivity(int, int)                                         {}

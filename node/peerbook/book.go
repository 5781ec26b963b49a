// Package peerbook keeps what a node knows about other nodes, so that the
// next message to each goes the right way at once:
//
//   - the protocol its node speaks (YGGPOST or classic Yggmail), learned
//     only from streams authenticated as its key, and never downgraded
//     from YGGPOST to classic;
//   - its signed relay record (which relays hold mail for it while it is
//     offline), kept only when the signature verifies and the sequence
//     number is newer;
//   - the recent correspondents, which a node greets when it comes back
//     online (at most 64, most recent first);
//   - which nodes did not answer in the last 30 seconds, so that the
//     rest of a burst goes to relays at once.
//
// Protocols, records and correspondents persist in the mailbox store as
// settings ("peer.protocol.<hex key>", "peer.relays.<hex key>",
// "node.contacts") with bounded caches in front; unreachable marks live in
// memory only. A Book is safe for concurrent use.
package peerbook

import (
	"context"
	"log/slog"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/relay"
)

// Book is what one node knows about the others. Create it with Open.
type Book struct {
	self        envelope.Address
	protocols   *protocols
	records     *records
	contacts    *contacts
	unreachable *unreachable
}

// Open reads the book of the node self from store. It fails only if the
// store cannot be read.
func Open(store *mailbox.Store, self envelope.Address, log *slog.Logger) (*Book, error) {
	known, err := loadContacts(store)
	if err != nil {
		return nil, err
	}
	return &Book{
		self:        self,
		protocols:   newProtocols(store, log),
		records:     newRecords(store, log),
		contacts:    known,
		unreachable: newUnreachable(),
	}, nil
}

// Protocol returns what is known of the protocol a's node speaks.
func (b *Book) Protocol(a envelope.Address) Protocol { return b.protocols.get(a) }

// LearnProtocol records that a's node speaks p. It returns false, and
// records nothing, when that would downgrade a node known to speak YGGPOST.
func (b *Book) LearnProtocol(a envelope.Address, p Protocol) bool { return b.protocols.learn(a, p) }

// Record returns a's valid relay record, if one is known.
func (b *Book) Record(a envelope.Address) (relay.Record, bool) { return b.records.get(a) }

// LearnRecord takes the wire form of a relay record claimed to be
// signer's. It returns an error saying what is wrong with a record it
// refuses; a record no newer than the one known changes nothing.
func (b *Book) LearnRecord(signer envelope.Address, wire []byte) error {
	return b.records.learn(signer, wire)
}

// RefreshRecord asks a's node over q for its relay record when the one
// known is missing or older than RecordRefresh.
func (b *Book) RefreshRecord(ctx context.Context, q RecordAsker, a envelope.Address) {
	b.records.refresh(ctx, q, a)
}

// Touch records a as a recent correspondent (the node itself is never
// one). It writes to the store only when a is new to the list.
func (b *Book) Touch(a envelope.Address) error { return b.contacts.touch(a, b.self) }

// Correspondents returns the recent correspondents, most recent first.
func (b *Book) Correspondents() []envelope.Address { return b.contacts.snapshot() }

// MarkUnreachable notes that a's node could not be reached just now.
func (b *Book) MarkUnreachable(a envelope.Address) { b.unreachable.mark(a) }

// RecentlyUnreachable reports whether a's node failed to answer within the
// last 30 seconds.
func (b *Book) RecentlyUnreachable(a envelope.Address) bool { return b.unreachable.recently(a) }

// Reachable forgets that a's node did not answer: the mesh found a path
// to it, or it opened a stream to us.
func (b *Book) Reachable(a envelope.Address) { b.unreachable.clear(&a) }

// AllReachable forgets every unreachable mark: a peering link came up.
func (b *Book) AllReachable() { b.unreachable.clear(nil) }

package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
	"github.com/yggpost/yggpost/node/membership"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/node/peerbook"
	"github.com/yggpost/yggpost/node/report"
)

// receiver stores envelopes that other nodes deliver to this node's INBOX,
// directly or through a relay's hand-over. It implements peer.Receiver
// (and peer.MessageReceiver for classic nodes, receive_classic.go).
type receiver struct {
	local    envelope.Address
	key      ed25519.PrivateKey // opens envelopes
	store    *mailbox.Store
	book     *peerbook.Book
	members  *membership.Membership // told which relay handed an envelope over
	receipts *receiptBatcher
	observer Observer
	log      *slog.Logger
}

// Receive opens the envelope, checks that its signer is the sender named in
// the message's From header, and appends it to INBOX, de-duplicated by
// envelope id. It returns nil only once the message is durable. A message
// that fails a check is refused permanently and nothing is stored.
//
// from is the node that delivered it: the sender's own, or a relay. An
// envelope that came through a relay gets a delivery receipt back to its
// sender, and the member's other relays are told to drop their copies.
// A delivery receipt is consumed instead of filed.
func (r *receiver) Receive(ctx context.Context, from, recipient envelope.Address, size int64, body io.Reader) error {
	if recipient != r.local {
		return &peer.Error{Code: 550, Enhanced: "5.1.1", Message: "no such user here"}
	}
	opened, err := envelope.Open(body, r.key)
	if err != nil {
		return refuse(fmt.Errorf("open envelope: %w", err))
	}
	sender, id := opened.Sender(), opened.Header().ID
	headerFrom, head, msg, err := readSender(opened)
	if err != nil {
		return refuse(err)
	}
	if headerFrom != sender {
		return refuse(fmt.Errorf("%w: From %s, signed by %s", mailheader.ErrFromMismatch, headerFrom, sender))
	}
	if of, ok := report.ReceiptIDs(head); ok {
		if err := drainVerified(opened, msg); err != nil {
			return refuse(fmt.Errorf("open envelope: %w", err))
		}
		r.learnRecord(sender, opened)
		for _, id := range of {
			if err := r.receipts.take(sender, id); err != nil {
				return refuse(err)
			}
		}
		return nil
	}
	key := dedupKey(sender, id)
	m, dup, err := r.store.Append("INBOX", msg, mailbox.AppendOptions{Date: time.Now(), EnvelopeID: &key})
	if err != nil {
		return refuse(fmt.Errorf("store message: %w", err))
	}
	r.members.HandedOver(from, sender, id)
	if dup {
		r.log.Info("duplicate envelope acknowledged", "id", id.String(), "from", sender.String(), "via", from.String())
		return peer.ErrDuplicate
	}
	r.learnRecord(sender, opened)
	if from == sender {
		r.book.LearnProtocol(from, peerbook.Yggpost)
	}
	if err := r.book.Touch(sender); err != nil {
		r.log.Warn("remember correspondent", "err", err)
	}
	r.observer.MessageStored(mailbox.Inbox, m.UID, sender)
	attrs := []any{"id", id.String(), "from", sender.String(), "uid", m.UID, "size", m.Size}
	if from != sender {
		attrs = append(attrs, "via", from.String())
		r.receipts.send(sender, id)
	}
	r.log.Info("received", attrs...)
	return nil
}

// readSender reads the header block of a received message and returns the
// node address in its From field, the block, and a reader that yields the
// whole message unchanged.
func readSender(msg io.Reader) (envelope.Address, []byte, io.Reader, error) {
	head, rest, err := mailheader.Read(msg, mailheader.DefaultMax)
	if err != nil {
		return envelope.Address{}, nil, nil, fmt.Errorf("read message header: %w", err)
	}
	from, err := mailheader.From(head)
	if err != nil {
		return envelope.Address{}, nil, nil, err
	}
	return from, head, io.MultiReader(bytes.NewReader(head), rest), nil
}

// learnRecord keeps the relay record a verified envelope carries.
func (r *receiver) learnRecord(sender envelope.Address, opened *envelope.Opened) {
	wire := opened.Record()
	if wire == nil || !opened.Verified() {
		return
	}
	if err := r.book.LearnRecord(sender, wire); err != nil {
		r.log.Warn("relay record in envelope refused", "from", sender.String(), "err", err)
	}
}

// dedupKey is the de-duplication key of a received envelope: its id bound
// to its signer, so that nobody who learned an id (a relay sees them) can
// make a later genuine envelope look like a duplicate.
func dedupKey(sender envelope.Address, id envelope.ID) [16]byte {
	sum := sha256.Sum256(append(append([]byte("yggpost dedup\x00"), sender[:]...), id[:]...))
	return [16]byte(sum[:16])
}

// refuse turns a failure to take a message into the reply the sending node
// gets: permanent for anything the message itself got wrong, temporary for
// local trouble.
func refuse(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mailbox.ErrTooLarge):
		return &peer.Error{Code: 552, Enhanced: "5.3.4", Message: err.Error()}
	case errors.Is(err, mailheader.ErrFromMismatch), errors.Is(err, mailheader.ErrNoFrom):
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: err.Error()}
	case errors.Is(err, envelope.ErrBadSignature), errors.Is(err, envelope.ErrNotForMe),
		errors.Is(err, envelope.ErrVersion), errors.Is(err, envelope.ErrNotEnvelope),
		errors.Is(err, envelope.ErrCorrupt), errors.Is(err, envelope.ErrUnknownChunk):
		return &peer.Error{Code: 554, Enhanced: "5.6.0", Message: err.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, envelope.ErrTruncated):
		return err // the stream broke; nothing is acknowledged
	case errors.Is(err, mailheader.ErrTooLarge), errors.Is(err, mailheader.ErrBadHeader):
		return &peer.Error{Code: 554, Enhanced: "5.6.0", Message: err.Error()}
	}
	var perr *peer.Error
	if errors.As(err, &perr) {
		return perr
	}
	return &peer.Error{Code: 451, Enhanced: "4.3.0", Message: "local error storing the message, try again later"}
}

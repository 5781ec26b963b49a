package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
	"github.com/yggpost/yggpost/node/report"
)

// A delivery receipt is a small message the recipient's node sends the
// sender after it stored an envelope that did not come from the sender's
// own node (a relay handed it over or passed it on). It travels like any
// message, sealed and signed, through the recipient's outbox and, if the
// sender is offline, the sender's relays. The sender's node consumes it:
// the queue row waiting for it goes, the Sent copy becomes $Delivered, and
// nothing is filed in INBOX. A direct delivery needs none: the 250 comes
// from the recipient's own key.

// receiptBatchWait is how long receipts for one sender are gathered into
// one message. A crash in that window loses them, which costs the sender
// only the "delivered" mark (and a report at its custody's end saying the
// message was not collected, although it was).
const receiptBatchWait = 500 * time.Millisecond

// receiptID is the envelope id of the receipt for envelopes ids from
// sender.
func (b *receiptBatcher) receiptID(sender envelope.Address, ids []envelope.ID) envelope.ID {
	h := sha256.New()
	h.Write([]byte("yggpost receipt\x00"))
	for _, id := range ids {
		h.Write(id[:])
	}
	return b.outbox.submissionID([sha256.Size]byte(h.Sum(nil)), sender)
}

// receiptBatcher gathers the delivery receipts this node sends, per
// sender, and queues them in batches; it also takes the receipts other
// nodes send back for this node's messages.
type receiptBatcher struct {
	local  envelope.Address
	store  *mailbox.Store
	outbox *submitter // queues the receipts, like the user's messages
	marks  sentMarks
	log    *slog.Logger

	mu      sync.Mutex
	pending map[envelope.Address][]envelope.ID
	kick    chan struct{}
}

func newReceiptBatcher(outbox *submitter, marks sentMarks) *receiptBatcher {
	return &receiptBatcher{
		local: outbox.local, store: outbox.store, outbox: outbox, marks: marks, log: outbox.log,
		pending: map[envelope.Address][]envelope.ID{}, kick: make(chan struct{}, 1),
	}
}

// send notes that envelope id from sender was stored; the receipt
// leaves with others for the same sender within receiptBatchWait.
func (b *receiptBatcher) send(sender envelope.Address, id envelope.ID) {
	if sender == b.local {
		return
	}
	b.mu.Lock()
	b.pending[sender] = append(b.pending[sender], id)
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// run queues gathered receipts until ctx ends, then queues what is left.
func (b *receiptBatcher) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			b.flush()
			return
		case <-b.kick:
		}
		select {
		case <-ctx.Done():
		case <-time.After(receiptBatchWait):
		}
		b.flush()
	}
}

// flush queues one receipt message per sender and batch of ids. Failing
// to queue one costs the sender only the "delivered" mark, so it is
// logged.
func (b *receiptBatcher) flush() {
	b.mu.Lock()
	pending := b.pending
	b.pending = map[envelope.Address][]envelope.ID{}
	b.mu.Unlock()
	now := time.Now()
	for sender, ids := range pending {
		for len(ids) > 0 {
			batch := ids[:min(len(ids), report.MaxReceiptIDs)]
			ids = ids[len(batch):]
			row := mailbox.Outbound{ID: b.receiptID(sender, batch), Recipient: sender, Created: now, NextAttempt: now}
			if err := b.outbox.enqueue(row, bytes.NewReader(report.Receipt(b.local, sender, batch, now))); err != nil {
				b.log.Warn("queue delivery receipt", "ids", len(batch), "to", sender.String(), "err", err)
				continue
			}
			b.outbox.deliver(row)
		}
	}
}

// take consumes a verified delivery receipt from signer for
// envelope id: if the outbox still holds that envelope for signer, it is
// done. Anything else (already done, or a receipt for an envelope to
// somebody else) changes nothing.
func (b *receiptBatcher) take(signer envelope.Address, id envelope.ID) error {
	it, err := b.store.GetOutbound(id)
	if errors.Is(err, mailbox.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up receipted envelope: %w", err)
	}
	if it.Recipient != signer {
		b.log.Warn("delivery receipt from a node the envelope was not for", "id", id.String(), "from", signer.String())
		return nil
	}
	if err := b.store.DeleteOutbound(id); err != nil && !errors.Is(err, mailbox.ErrNotFound) {
		return fmt.Errorf("finish receipted envelope: %w", err)
	}
	b.marks.markDelivered(it)
	b.log.Info("delivery receipt", "id", id.String(), "from", signer.String(), "relayed_by", it.Custodians)
	return nil
}

// drainVerified reads the rest of an opened envelope and reports whether
// its signature verified.
func drainVerified(opened *envelope.Opened, rest io.Reader) error {
	if _, err := io.Copy(io.Discard, rest); err != nil {
		return err
	}
	if !opened.Verified() {
		return envelope.ErrBadSignature
	}
	return nil
}

// isReceiptRow reports whether queue row it of store holds a delivery
// receipt this node sends. A receipt needs no receipt of its own: relay
// custody is the end of its road, and failing to deliver it is not worth a
// report.
func isReceiptRow(store *mailbox.Store, it mailbox.Outbound) bool {
	body, err := store.OpenOutbound(it.ID)
	if err != nil {
		return false
	}
	defer body.Close()
	head, _, err := mailheader.Read(body, mailheader.DefaultMax)
	if err != nil {
		return false
	}
	_, ok := report.ReceiptIDs(head)
	return ok
}

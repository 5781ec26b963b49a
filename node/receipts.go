package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
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
func (n *Node) receiptID(sender envelope.Address, ids []envelope.ID) envelope.ID {
	h := sha256.New()
	h.Write([]byte("yggpost receipt\x00"))
	for _, id := range ids {
		h.Write(id[:])
	}
	return n.submissionID([sha256.Size]byte(h.Sum(nil)), sender)
}

// receiptBatcher gathers the receipts to send, per sender.
type receiptBatcher struct {
	mu      sync.Mutex
	pending map[envelope.Address][]envelope.ID
	kick    chan struct{}
}

func newReceiptBatcher() *receiptBatcher {
	return &receiptBatcher{pending: map[envelope.Address][]envelope.ID{}, kick: make(chan struct{}, 1)}
}

// sendReceipt notes that envelope id from sender was stored; the receipt
// leaves with others for the same sender within receiptBatchWait.
func (n *Node) sendReceipt(sender envelope.Address, id envelope.ID) {
	if sender == n.addr {
		return
	}
	b := n.receipts
	b.mu.Lock()
	b.pending[sender] = append(b.pending[sender], id)
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// runReceipts queues gathered receipts until ctx ends, then queues what
// is left.
func (n *Node) runReceipts(ctx context.Context) {
	b := n.receipts
	for {
		select {
		case <-ctx.Done():
			n.flushReceipts()
			return
		case <-b.kick:
		}
		select {
		case <-ctx.Done():
		case <-time.After(receiptBatchWait):
		}
		n.flushReceipts()
	}
}

// flushReceipts queues one receipt message per sender and batch of ids.
// Failing to queue one costs the sender only the "delivered" mark, so it
// is logged.
func (n *Node) flushReceipts() {
	b := n.receipts
	b.mu.Lock()
	pending := b.pending
	b.pending = map[envelope.Address][]envelope.ID{}
	b.mu.Unlock()
	now := time.Now()
	for sender, ids := range pending {
		for len(ids) > 0 {
			batch := ids[:min(len(ids), report.MaxReceiptIDs)]
			ids = ids[len(batch):]
			row := mailbox.Outbound{ID: n.receiptID(sender, batch), Recipient: sender, Created: now, NextAttempt: now}
			if err := n.enqueue(row, bytes.NewReader(report.Receipt(n.addr, sender, batch, now))); err != nil {
				n.log.Warn("queue delivery receipt", "ids", len(batch), "to", sender.String(), "err", err)
				continue
			}
		}
		n.retry(sender)
	}
}

// takeReceipt consumes a verified delivery receipt from signer for
// envelope id: if the outbox still holds that envelope for signer, it is
// done. Anything else (already done, or a receipt for an envelope to
// somebody else) changes nothing.
func (n *Node) takeReceipt(signer envelope.Address, id envelope.ID) error {
	it, err := n.store.GetOutbound(id)
	if errors.Is(err, mailbox.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up receipted envelope: %w", err)
	}
	if it.Recipient != signer {
		n.log.Warn("delivery receipt from a node the envelope was not for", "id", id.String(), "from", signer.String())
		return nil
	}
	if err := n.store.DeleteOutbound(id); err != nil && !errors.Is(err, mailbox.ErrNotFound) {
		return fmt.Errorf("finish receipted envelope: %w", err)
	}
	n.marks.markDelivered(it)
	n.log.Info("delivery receipt", "id", id.String(), "from", signer.String(), "relayed_by", it.Custodians)
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

// isReceiptRow reports whether queue row it holds a delivery receipt this
// node sends. A receipt needs no receipt of its own: relay custody is the
// end of its road, and failing to deliver it is not worth a report.
func (n *Node) isReceiptRow(it mailbox.Outbound) bool {
	body, err := n.store.OpenOutbound(it.ID)
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

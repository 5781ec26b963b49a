package node

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

// receiptField is the header field that makes a message a delivery
// receipt: its value is the envelope id (32 hex digits) of the envelope
// the signer of the receipt received (docs/protocol.md, "Delivery
// receipts").
const receiptField = "Yggpost-Receipt"

// A delivery receipt is a small message the recipient's node sends the
// sender after it stored an envelope that did not come from the sender's
// own node (a relay handed it over or passed it on). It travels like any
// message, sealed and signed, through the recipient's outbox and, if the
// sender is offline, the sender's relays. The sender's node consumes it:
// the queue row waiting for it goes, the Sent copy becomes $Delivered, and
// nothing is filed in INBOX. A direct delivery needs none: the 250 comes
// from the recipient's own key.

// receiptID is the envelope id of the receipt for envelope id from sender.
func (n *Node) receiptID(sender envelope.Address, id envelope.ID) envelope.ID {
	digest := sha256.Sum256(append([]byte("yggpost receipt\x00"), id[:]...))
	return n.submissionID(digest, sender)
}

// buildReceipt returns the receipt message for envelope id from sender.
func buildReceipt(local, sender envelope.Address, id envelope.ID, now time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <%s>\r\n", local)
	fmt.Fprintf(&b, "To: <%s>\r\n", sender)
	fmt.Fprintf(&b, "Subject: Delivered: %s\r\n", id)
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <receipt-%s@%s>\r\n", id, envelope.Domain)
	fmt.Fprintf(&b, "Auto-Submitted: auto-replied\r\n%s: %s\r\n", receiptField, id)
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	fmt.Fprintf(&b, "Your message with envelope id %s was delivered to %s at %s.\r\n",
		id, local, now.UTC().Format(time.RFC1123Z))
	return b.Bytes()
}

// sendReceipt queues the receipt for envelope id from sender. Failing to
// queue it costs the sender only the "delivered" mark, so it is logged.
func (n *Node) sendReceipt(sender envelope.Address, id envelope.ID) {
	if sender == n.addr {
		return
	}
	now := time.Now()
	rid := n.receiptID(sender, id)
	row := mailbox.Outbound{ID: rid, Recipient: sender, Created: now, NextAttempt: now}
	if err := n.enqueue(row, bytes.NewReader(buildReceipt(n.addr, sender, id, now))); err != nil {
		n.log.Warn("queue delivery receipt", "id", id.String(), "to", sender.String(), "err", err)
		return
	}
	n.retry(sender)
}

// receiptOf returns the envelope id a delivery receipt's header names, and
// false if the header is not a receipt's.
func receiptOf(head []byte) (envelope.ID, bool) {
	if !bytes.Contains(bytes.ToLower(head), []byte("yggpost-receipt:")) {
		return envelope.ID{}, false // the common case, without parsing
	}
	block := append(bytes.Clone(bytes.TrimRight(head, "\r\n")), "\r\n\r\n"...)
	m, err := mail.ReadMessage(bytes.NewReader(block))
	if err != nil {
		return envelope.ID{}, false
	}
	id, err := envelope.ParseID(strings.TrimSpace(m.Header.Get(receiptField)))
	if err != nil {
		return envelope.ID{}, false
	}
	return id, true
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
	n.markDelivered(it)
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
	head, err := readHeaderOnly(body)
	if err != nil {
		return false
	}
	_, ok := receiptOf(head)
	return ok
}

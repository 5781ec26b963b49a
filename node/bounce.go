package node

import (
	"bytes"
	"fmt"
	"log/slog"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
	"github.com/yggpost/yggpost/node/peerbook"
	"github.com/yggpost/yggpost/node/report"
)

// reporter tells the user what became of a sent message that could not be
// delivered: a failure or delay report in INBOX (node/report builds it),
// and $Failed on the Sent copy. Its bounce and notifyDelay are the queue's
// BounceFunc and NotifyFunc.
type reporter struct {
	local  envelope.Address
	store  *mailbox.Store
	book   *peerbook.Book
	marks  sentMarks
	giveUp time.Duration // how long a message is tried, for delay reports
	log    *slog.Logger
}

// bounce puts a delivery status notification (RFC 3464) for a failed
// message into the user's INBOX: the recipient, the reason, when it was
// queued, and the original header (read from the outbox row, which still
// exists), which mail clients use to tie the report to the message.
func (r *reporter) bounce(it mailbox.Outbound, reason error) error {
	if isReceiptRow(r.store, it) {
		r.log.Info("delivery receipt given up", "id", it.ID.String(), "to", it.Recipient.String(), "reason", reason)
		return nil
	}
	if r.book.Protocol(it.Recipient) == peerbook.Classic {
		reason = fmt.Errorf("%w (the recipient runs a classic Yggmail node, which has no relays and sends no delivery receipts: mail reaches it only while both nodes are online at the same time)", reason)
	}
	msg, err := r.dsn(it, reason).Failed()
	if err != nil {
		return err
	}
	id := [16]byte(it.ID)
	id[0] ^= 0xff // a bounce has its own de-duplication key, distinct from the envelope's
	if _, _, err := r.store.Append("INBOX", bytes.NewReader(msg), mailbox.AppendOptions{Date: time.Now(), EnvelopeID: &id}); err != nil {
		return fmt.Errorf("store delivery report: %w", err)
	}
	r.marks.markSent(it, KeywordFailed, KeywordRelayed)
	return nil
}

// notifyDelay puts a "delayed" delivery status notification (RFC 3464)
// into INBOX: the message is still being tried, and until when.
func (r *reporter) notifyDelay(it mailbox.Outbound, cause error) error {
	if isReceiptRow(r.store, it) {
		return nil
	}
	msg, err := r.dsn(it, cause).Delayed(it.Created.Add(r.giveUp))
	if err != nil {
		return err
	}
	id := [16]byte(it.ID)
	id[0] ^= 0xfe // its own de-duplication key, distinct from the bounce's
	if _, _, err := r.store.Append("INBOX", bytes.NewReader(msg), mailbox.AppendOptions{Date: time.Now(), EnvelopeID: &id}); err != nil {
		return fmt.Errorf("store delay notice: %w", err)
	}
	return nil
}

// dsn is the delivery report about queue row it, which failed for reason.
func (r *reporter) dsn(it mailbox.Outbound, reason error) report.DSN {
	return report.DSN{Local: r.local, Row: it, Reason: reason, Header: r.originalHeader(it), Now: time.Now()}
}

// originalHeader returns the header block of a queued message, or nil if
// it cannot be read (the report is still worth sending without it).
func (r *reporter) originalHeader(it mailbox.Outbound) []byte {
	body, err := r.store.OpenOutbound(it.ID)
	if err != nil {
		r.log.Warn("read bounced message for its report", "id", it.ID.String(), "err", err)
		return nil
	}
	defer body.Close()
	head, _, err := mailheader.Read(body, mailheader.DefaultMax)
	if err != nil {
		r.log.Warn("read bounced message for its report", "id", it.ID.String(), "err", err)
		return nil
	}
	return head
}

package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"strings"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/node/peerbook"
)

// bounce puts a delivery status notification (RFC 3464) for a failed
// message into the user's INBOX: the recipient, the reason, when it was
// queued, and the original header (read from the outbox row, which still
// exists), which mail clients use to tie the report to the message.
func (n *Node) bounce(it mailbox.Outbound, reason error) error {
	if n.isReceiptRow(it) {
		n.log.Info("delivery receipt given up", "id", it.ID.String(), "to", it.Recipient.String(), "reason", reason)
		return nil
	}
	if n.book.Protocol(it.Recipient) == peerbook.Classic {
		reason = fmt.Errorf("%w (the recipient runs a classic Yggmail node, which has no relays and sends no delivery receipts: mail reaches it only while both nodes are online at the same time)", reason)
	}
	msg, err := buildDSN(n.addr, it, reason, n.originalHeader(it), time.Now(), actionFailed)
	if err != nil {
		return err
	}
	id := [16]byte(it.ID)
	id[0] ^= 0xff // a bounce has its own de-duplication key, distinct from the envelope's
	if _, _, err := n.store.Append("INBOX", bytes.NewReader(msg), mailbox.AppendOptions{Date: time.Now(), EnvelopeID: &id}); err != nil {
		return fmt.Errorf("store delivery report: %w", err)
	}
	n.marks.markSent(it, KeywordFailed, KeywordRelayed)
	return nil
}

// notifyDelay puts a "delayed" delivery status notification (RFC 3464)
// into INBOX: the message is still being tried, and until when.
func (n *Node) notifyDelay(it mailbox.Outbound, cause error) error {
	if n.isReceiptRow(it) {
		return nil
	}
	report := delayed{retryUntil: it.Created.Add(n.cfg.GiveUp)}
	msg, err := buildDSN(n.addr, it, cause, n.originalHeader(it), time.Now(), report)
	if err != nil {
		return err
	}
	id := [16]byte(it.ID)
	id[0] ^= 0xfe // its own de-duplication key, distinct from the bounce's
	if _, _, err := n.store.Append("INBOX", bytes.NewReader(msg), mailbox.AppendOptions{Date: time.Now(), EnvelopeID: &id}); err != nil {
		return fmt.Errorf("store delay notice: %w", err)
	}
	return nil
}

// dsnAction is the kind of a delivery report: failed or delayed.
type dsnAction interface {
	action() string
	idPrefix() string // of the report's Message-ID
	subject(rcpt envelope.Address) string
	explain(rcpt envelope.Address, reason error, it mailbox.Outbound) string
	status(code int, enhanced string) string
	extra() string
}

type failed struct{}

var actionFailed = failed{}

func (failed) idPrefix() string                     { return "dsn" }
func (failed) action() string                       { return "failed" }
func (failed) subject(rcpt envelope.Address) string { return "Undelivered mail: " + rcpt.String() }
func (failed) status(_ int, enhanced string) string {
	if strings.HasPrefix(enhanced, "4") {
		return "5" + enhanced[1:] // a refusal that stayed temporary until the give-up time
	}
	return enhanced
}
func (failed) extra() string { return "" }
func (failed) explain(rcpt envelope.Address, reason error, it mailbox.Outbound) string {
	return fmt.Sprintf("Your message to %s could not be delivered.\r\n\r\nReason: %s\r\n\r\nIt was queued at %s and tried %d times.\r\nEnvelope id: %x\r\n",
		rcpt, reason, it.Created.UTC().Format(time.RFC1123Z), it.Attempts+1, it.ID)
}

// delayed is the report of a message still being tried.
type delayed struct{ retryUntil time.Time }

func (delayed) action() string   { return "delayed" }
func (delayed) idPrefix() string { return "delay" }
func (delayed) subject(rcpt envelope.Address) string {
	return "Delayed mail (still trying): " + rcpt.String()
}
func (delayed) status(int, string) string { return "4.4.1" } // no answer from the recipient's node
func (d delayed) extra() string {
	return "Will-Retry-Until: " + d.retryUntil.UTC().Format(time.RFC1123Z) + "\r\n"
}
func (d delayed) explain(rcpt envelope.Address, reason error, it mailbox.Outbound) string {
	return fmt.Sprintf("Your message to %s has not been delivered yet; it is still being tried.\r\n\r\nLast attempt: %s\r\n\r\nIt was queued at %s and tried %d times. It will be tried until %s,\r\nand you will get another report if it cannot be delivered by then.\r\nYou do not need to send it again.\r\nEnvelope id: %x\r\n",
		rcpt, reason, it.Created.UTC().Format(time.RFC1123Z), it.Attempts+1, d.retryUntil.UTC().Format(time.RFC1123Z), it.ID)
}

// originalHeader returns the header block of a queued message, or nil if
// it cannot be read (the report is still worth sending without it).
func (n *Node) originalHeader(it mailbox.Outbound) []byte {
	body, err := n.store.OpenOutbound(it.ID)
	if err != nil {
		n.log.Warn("read bounced message for its report", "id", it.ID.String(), "err", err)
		return nil
	}
	defer body.Close()
	head, _, err := mailheader.Read(body, mailheader.DefaultMax)
	if err != nil {
		n.log.Warn("read bounced message for its report", "id", it.ID.String(), "err", err)
		return nil
	}
	return head
}

// statusOf returns the SMTP code, enhanced status and text for a failure.
func statusOf(reason error) (int, string, string) {
	var perr *peer.Error
	if errors.As(reason, &perr) && perr.Enhanced != "" {
		return perr.Code, perr.Enhanced, perr.Message
	}
	return 554, "5.4.7", reason.Error() // 5.4.7: delivery time expired
}

func buildDSN(local envelope.Address, it mailbox.Outbound, reason error, origHeader []byte, now time.Time, kind dsnAction) ([]byte, error) {
	rcpt := it.Recipient
	code, enhanced, text := statusOf(reason)
	status := kind.status(code, enhanced)
	if status[0] == '4' && code >= 500 {
		code, enhanced = 451, status // no peer refused it: the node is not answering yet
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	human := kind.explain(rcpt, reason, it)
	status1 := fmt.Sprintf("Reporting-MTA: x-yggpost; %s\r\nArrival-Date: %s\r\n\r\n"+
		"Final-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\nDiagnostic-Code: smtp; %d %s %s\r\nLast-Attempt-Date: %s\r\n%s",
		local, it.Created.UTC().Format(time.RFC1123Z), rcpt, kind.action(), status, code, enhanced, oneLine(text), now.UTC().Format(time.RFC1123Z), kind.extra())
	parts := []struct{ ctype, content string }{
		{"text/plain; charset=utf-8", human},
		{"message/delivery-status", status1},
	}
	if len(origHeader) > 0 {
		parts = append(parts, struct{ ctype, content string }{"text/rfc822-headers", string(origHeader)})
	}
	for _, part := range parts {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {part.ctype}})
		if err == nil {
			_, err = io.WriteString(w, part.content)
		}
		if err != nil {
			return nil, fmt.Errorf("build delivery report: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("build delivery report: %w", err)
	}
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: Mail Delivery System <mailer-daemon@%s>\r\n", envelope.Domain)
	fmt.Fprintf(&msg, "To: <%s>\r\n", local)
	fmt.Fprintf(&msg, "Subject: %s\r\n", kind.subject(rcpt))
	fmt.Fprintf(&msg, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&msg, "Message-ID: <%s-%x@%s>\r\n", kind.idPrefix(), it.ID, envelope.Domain)
	if id := originalMessageID(origHeader); id != "" {
		// Clients thread the report under the message that failed.
		fmt.Fprintf(&msg, "In-Reply-To: %s\r\nReferences: %s\r\n", id, id)
	}
	fmt.Fprintf(&msg, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n")
	fmt.Fprintf(&msg, "Content-Type: multipart/report; report-type=delivery-status; boundary=%q\r\n\r\n", mw.Boundary())
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// originalMessageID returns the Message-ID of a header block on one line,
// or "".
func originalMessageID(head []byte) string {
	return oneLine(mailheader.MessageID(head))
}

func oneLine(s string) string {
	return string(bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, []byte(s)))
}

package node

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/peer"
)

// bounce puts a delivery status notification (RFC 3464) for a failed
// message into the user's INBOX: the recipient, the reason, when it was
// queued, and the original header (read from the outbox row, which still
// exists), which mail clients use to tie the report to the message.
func (n *Node) bounce(it mailbox.Outbound, reason error) error {
	if n.protocols.get(envelope.Address(it.Recipient)) == protocolClassic {
		reason = fmt.Errorf("%w (the recipient runs a classic Yggmail node, which has no relays and sends no delivery receipts: mail reaches it only while both nodes are online at the same time)", reason)
	}
	msg, err := buildDSN(n.addr, it, reason, n.originalHeader(it), time.Now())
	if err != nil {
		return err
	}
	id := it.ID
	id[0] ^= 0xff // a bounce has its own de-duplication key, distinct from the envelope's
	if _, _, err := n.store.Append("INBOX", bytes.NewReader(msg), mailbox.AppendOptions{Date: time.Now(), EnvelopeID: &id}); err != nil {
		return fmt.Errorf("store delivery report: %w", err)
	}
	return nil
}

// originalHeader returns the header block of a queued message, or nil if
// it cannot be read (the report is still worth sending without it).
func (n *Node) originalHeader(it mailbox.Outbound) []byte {
	body, err := n.store.OpenOutbound(it.ID)
	if err != nil {
		n.log.Warn("read bounced message for its report", "id", envelope.ID(it.ID).String(), "err", err)
		return nil
	}
	defer body.Close()
	head, err := readHeaderOnly(body)
	if err != nil {
		n.log.Warn("read bounced message for its report", "id", envelope.ID(it.ID).String(), "err", err)
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

func buildDSN(local envelope.Address, it mailbox.Outbound, reason error, origHeader []byte, now time.Time) ([]byte, error) {
	rcpt := envelope.Address(it.Recipient)
	code, status, text := statusOf(reason)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	human := fmt.Sprintf("Your message to %s could not be delivered.\r\n\r\nReason: %s\r\n\r\nIt was queued at %s and tried %d times.\r\nEnvelope id: %x\r\n",
		rcpt, reason, it.Created.UTC().Format(time.RFC1123Z), it.Attempts+1, it.ID)
	status1 := fmt.Sprintf("Reporting-MTA: x-yggpost; %s\r\nArrival-Date: %s\r\n\r\n"+
		"Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: %s\r\nDiagnostic-Code: smtp; %d %s %s\r\nLast-Attempt-Date: %s\r\n",
		local, it.Created.UTC().Format(time.RFC1123Z), rcpt, status, code, status, oneLine(text), now.UTC().Format(time.RFC1123Z))
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
	fmt.Fprintf(&msg, "Subject: Undelivered mail: %s\r\n", rcpt)
	fmt.Fprintf(&msg, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&msg, "Message-ID: <dsn-%x@%s>\r\n", it.ID, envelope.Domain)
	if id := originalMessageID(origHeader); id != "" {
		// Clients thread the report under the message that failed.
		fmt.Fprintf(&msg, "In-Reply-To: %s\r\nReferences: %s\r\n", id, id)
	}
	fmt.Fprintf(&msg, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n")
	fmt.Fprintf(&msg, "Content-Type: multipart/report; report-type=delivery-status; boundary=%q\r\n\r\n", mw.Boundary())
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// originalMessageID returns the Message-ID field of a header block, or "".
func originalMessageID(head []byte) string {
	if len(head) == 0 {
		return ""
	}
	m, err := mail.ReadMessage(bytes.NewReader(append(bytes.Clone(bytes.TrimRight(head, "\r\n")), "\r\n\r\n"...)))
	if err != nil {
		return ""
	}
	return oneLine(strings.TrimSpace(m.Header.Get("Message-Id")))
}

func oneLine(s string) string {
	return string(bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, []byte(s)))
}

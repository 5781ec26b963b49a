package node

import (
	"bytes"
	"errors"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/peer"
)

// bounce puts a delivery status notification (RFC 3464) for a failed
// envelope into the user's INBOX. The outbox holds only the sealed
// envelope, so the report names the recipient, the envelope id, the time it
// was queued and the reason, but cannot quote the original message.
func (n *Node) bounce(it mailbox.Outbound, reason error) error {
	if n.protocols.get(envelope.Address(it.Recipient)) == protocolClassic {
		reason = fmt.Errorf("%w (the recipient runs a classic Yggmail node, which has no relays and sends no delivery receipts: mail reaches it only while both nodes are online at the same time)", reason)
	}
	msg, err := buildDSN(n.addr, it, reason, time.Now())
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

// statusOf returns the SMTP code, enhanced status and text for a failure.
func statusOf(reason error) (int, string, string) {
	var perr *peer.Error
	if errors.As(reason, &perr) && perr.Enhanced != "" {
		return perr.Code, perr.Enhanced, perr.Message
	}
	return 554, "5.4.7", reason.Error() // 5.4.7: delivery time expired
}

func buildDSN(local envelope.Address, it mailbox.Outbound, reason error, now time.Time) ([]byte, error) {
	rcpt := envelope.Address(it.Recipient)
	code, status, text := statusOf(reason)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	human := fmt.Sprintf("Your message to %s could not be delivered.\r\n\r\nReason: %s\r\n\r\nIt was queued at %s and tried %d times.\r\nEnvelope id: %x\r\n",
		rcpt, reason, it.Created.UTC().Format(time.RFC1123Z), it.Attempts+1, it.ID)
	status1 := fmt.Sprintf("Reporting-MTA: x-yggpost; %s\r\nArrival-Date: %s\r\n\r\n"+
		"Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: %s\r\nDiagnostic-Code: smtp; %d %s %s\r\nLast-Attempt-Date: %s\r\n",
		local, it.Created.UTC().Format(time.RFC1123Z), rcpt, status, code, status, oneLine(text), now.UTC().Format(time.RFC1123Z))
	for _, part := range []struct{ ctype, content string }{
		{"text/plain; charset=utf-8", human},
		{"message/delivery-status", status1},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {part.ctype}})
		if err != nil {
			return nil, fmt.Errorf("build delivery report: %w", err)
		}
		w.Write([]byte(part.content))
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
	fmt.Fprintf(&msg, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n")
	fmt.Fprintf(&msg, "Content-Type: multipart/report; report-type=delivery-status; boundary=%q\r\n\r\n", mw.Boundary())
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

func oneLine(s string) string {
	return string(bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, []byte(s)))
}

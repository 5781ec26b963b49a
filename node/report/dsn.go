package report

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
)

// DSN holds what a delivery status notification (RFC 3464) says about one
// queued message to one recipient.
type DSN struct {
	Local  envelope.Address // the node whose user sent the message; the report is to it
	Row    mailbox.Outbound // the queue row: recipient, envelope id, when queued, attempts made
	Reason error            // the last failure; a *peer.Error carries the recipient node's reply
	Header []byte           // the message's header block, nil if it could not be read
	Now    time.Time        // the report's Date and Last-Attempt-Date
	// Boundary is the multipart boundary; "" for a random one.
	Boundary string
}

// Failed returns the report that the message could not be delivered and
// will not be tried again.
func (d DSN) Failed() ([]byte, error) { return d.build(failed{}) }

// Delayed returns the report that the message has not been delivered yet
// and will be tried until retryUntil.
func (d DSN) Delayed(retryUntil time.Time) ([]byte, error) {
	return d.build(delayed{retryUntil: retryUntil})
}

// build returns the whole report of kind: its header and the
// multipart/report body (RFC 3462) of a human-readable part, the
// message/delivery-status part and the original header, if known.
func (d DSN) build(kind action) ([]byte, error) {
	body, boundary, err := d.body(kind)
	if err != nil {
		return nil, fmt.Errorf("build delivery report: %w", err)
	}
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: Mail Delivery System <mailer-daemon@%s>\r\n", envelope.Domain)
	fmt.Fprintf(&msg, "To: <%s>\r\n", d.Local)
	fmt.Fprintf(&msg, "Subject: %s\r\n", kind.subject(d.Row.Recipient))
	fmt.Fprintf(&msg, "Date: %s\r\n", d.Now.Format(time.RFC1123Z))
	fmt.Fprintf(&msg, "Message-ID: <%s-%x@%s>\r\n", kind.idPrefix(), d.Row.ID, envelope.Domain)
	if id := oneLine(mailheader.MessageID(d.Header)); id != "" {
		// Clients thread the report under the message it is about.
		fmt.Fprintf(&msg, "In-Reply-To: %s\r\nReferences: %s\r\n", id, id)
	}
	fmt.Fprintf(&msg, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n")
	fmt.Fprintf(&msg, "Content-Type: multipart/report; report-type=delivery-status; boundary=%q\r\n\r\n", boundary)
	msg.Write(body)
	return msg.Bytes(), nil
}

// body returns the multipart body of the report and its boundary.
func (d DSN) body(kind action) ([]byte, string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if d.Boundary != "" {
		if err := mw.SetBoundary(d.Boundary); err != nil {
			return nil, "", err
		}
	}
	parts := [][2]string{
		{"text/plain; charset=utf-8", kind.explain(d.Row, d.Reason)},
		{"message/delivery-status", d.status(kind)},
	}
	if len(d.Header) > 0 {
		parts = append(parts, [2]string{"text/rfc822-headers", string(d.Header)})
	}
	for _, part := range parts {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {part[0]}})
		if err == nil {
			_, err = io.WriteString(w, part[1])
		}
		if err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return body.Bytes(), mw.Boundary(), nil
}

// status returns the message/delivery-status part (RFC 3464 §2.2, §2.3):
// the per-message fields, an empty line and the recipient's fields.
func (d DSN) status(kind action) string {
	code, enhanced, text := statusOf(d.Reason)
	status := kind.status(enhanced)
	if status[0] == '4' && code >= 500 {
		code, enhanced = 451, status // no node refused it: the recipient's is not answering yet
	}
	return fmt.Sprintf("Reporting-MTA: x-yggpost; %s\r\nArrival-Date: %s\r\n\r\n"+
		"Final-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\nDiagnostic-Code: smtp; %d %s %s\r\nLast-Attempt-Date: %s\r\n%s",
		d.Local, d.Row.Created.UTC().Format(time.RFC1123Z), d.Row.Recipient, kind.action(), status,
		code, enhanced, oneLine(text), d.Now.UTC().Format(time.RFC1123Z), kind.extra())
}

// statusOf returns the SMTP code, enhanced status and text of a failure:
// the recipient node's reply if it gave one, else 554 5.4.7 (delivery
// time expired, RFC 3463 §3.5).
func statusOf(reason error) (int, string, string) {
	var perr *peer.Error
	if errors.As(reason, &perr) && perr.Enhanced != "" {
		return perr.Code, perr.Enhanced, perr.Message
	}
	return 554, "5.4.7", reason.Error()
}

// oneLine returns s with its CRs and LFs turned into spaces, for a header
// field or a status field.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

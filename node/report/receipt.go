package report

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/mailheader"
)

// ReceiptField is the header field that makes a message a delivery
// receipt: its value is the envelope ids (32 hex digits each) of the
// envelopes the signer of the receipt received (docs/protocol.md,
// "Delivery receipts").
const ReceiptField = "Yggpost-Receipt"

// MaxReceiptIDs bounds the envelope ids one receipt message confirms.
const MaxReceiptIDs = 100

// Receipt returns the receipt message from local to sender for the
// envelopes ids, sent at now: one Yggpost-Receipt field, one id per
// (folded) line. ids must not be empty.
func Receipt(local, sender envelope.Address, ids []envelope.ID, now time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <%s>\r\n", local)
	fmt.Fprintf(&b, "To: <%s>\r\n", sender)
	fmt.Fprintf(&b, "Subject: Delivered: %d message(s)\r\n", len(ids))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <receipt-%s@%s>\r\n", ids[0], envelope.Domain)
	fmt.Fprintf(&b, "Auto-Submitted: auto-replied\r\n%s:", ReceiptField)
	for i, id := range ids {
		if i > 0 {
			b.WriteString("\r\n")
		}
		fmt.Fprintf(&b, " %s", id)
	}
	fmt.Fprintf(&b, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	fmt.Fprintf(&b, "%d message(s) you sent were delivered to %s by %s.\r\n",
		len(ids), local, now.UTC().Format(time.RFC1123Z))
	return b.Bytes()
}

// ReceiptIDs returns the envelope ids that a delivery receipt's header
// block names in its first Yggpost-Receipt field, and false if the block
// is not a receipt's: no such field, or one that is not 1 to
// MaxReceiptIDs envelope ids.
func ReceiptIDs(header []byte) ([]envelope.ID, bool) {
	if !bytes.Contains(bytes.ToLower(header), []byte("yggpost-receipt")) {
		return nil, false // the common case, without parsing
	}
	values := mailheader.Values(header, ReceiptField)
	if len(values) == 0 {
		return nil, false
	}
	fields := strings.Fields(values[0])
	if len(fields) == 0 || len(fields) > MaxReceiptIDs {
		return nil, false
	}
	ids := make([]envelope.ID, 0, len(fields))
	for _, f := range fields {
		id, err := envelope.ParseID(f)
		if err != nil {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

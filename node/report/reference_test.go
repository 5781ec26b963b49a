package report

import (
	"bytes"
	"net/mail"
	"strings"

	"github.com/yggpost/yggpost/envelope"
)

// refReceiptOf is a frozen copy of node.receiptOf as it was before
// ReceiptIDs replaced it, the reference FuzzReceiptIDs checks against.
func refReceiptOf(head []byte) ([]envelope.ID, bool) {
	if !bytes.Contains(bytes.ToLower(head), []byte("yggpost-receipt:")) {
		return nil, false
	}
	block := append(bytes.Clone(bytes.TrimRight(head, "\r\n")), "\r\n\r\n"...)
	m, err := mail.ReadMessage(bytes.NewReader(block))
	if err != nil {
		return nil, false
	}
	fields := strings.Fields(m.Header.Get(ReceiptField))
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

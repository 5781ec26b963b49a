package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/mailheader"
)

func TestReceiptRoundTrip(t *testing.T) {
	local, sender := envelope.Address{1}, envelope.Address{2}
	ids := []envelope.ID{{0xab, 0xcd}, {0x12}, {0xff, 0xee, 0xdd}}
	msg := Receipt(local, sender, ids, time.Unix(1e9, 0))
	head, _, err := mailheader.Read(bytes.NewReader(msg), mailheader.DefaultMax)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := ReceiptIDs(head)
	if !ok || !slices.Equal(got, ids) {
		t.Fatalf("ReceiptIDs = %v %v, want %v", got, ok, ids)
	}
	for _, line := range strings.Split(string(head), "\r\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, ReceiptField)) && len(line) > 78 {
			t.Errorf("header line of %d characters: %q", len(line), line)
		}
	}
	many := make([]envelope.ID, MaxReceiptIDs+1)
	head, _, _ = mailheader.Read(bytes.NewReader(Receipt(local, sender, many, time.Unix(0, 0))), mailheader.DefaultMax)
	if _, ok := ReceiptIDs(head); ok {
		t.Errorf("a receipt naming %d ids was accepted", len(many))
	}
	from, err := mailheader.From(head)
	if err != nil || from != local {
		t.Errorf("receipt From = %s %v, want %s", from, err, local)
	}
	for _, bad := range []string{
		"From: <x>\r\nSubject: hi\r\n\r\n",
		"Yggpost-Receipt: not-hex\r\n\r\n",
		"Yggpost-Receipt: " + strings.Repeat("a", 31) + "\r\n\r\n",
		"Yggpost-Receipt: " + strings.Repeat("a", 33) + "\r\n\r\n",
		"X-Yggpost-Receipt-Old: " + strings.Repeat("a", 32) + "\r\n\r\n",
		"Yggpost-Receipt:\r\nYggpost-Receipt: " + strings.Repeat("a", 32) + "\r\n\r\n", // the first field counts
	} {
		if _, ok := ReceiptIDs([]byte(bad)); ok {
			t.Errorf("ReceiptIDs(%q) took it for a receipt", bad)
		}
	}
}

// FuzzReceiptIDs feeds arbitrary header blocks to the receipt detector:
// it never panics; what it accepts names 1 to MaxReceiptIDs ids, each in
// the header; and what the node's former detector (refReceiptOf) accepted
// it accepts with the same ids, unless a field name there has white space
// before its colon (mailheader reads that as the field; net/mail did not).
func FuzzReceiptIDs(f *testing.F) {
	f.Add(Receipt(envelope.Address{1}, envelope.Address{2}, []envelope.ID{{3}, {4}}, time.Unix(0, 0)))
	f.Add([]byte("Yggpost-Receipt: 00000000000000000000000000000000\r\n\r\n"))
	f.Add([]byte("yggpost-receipt:\r\n \r\n\r\n"))
	f.Add([]byte("Yggpost-Receipt : 00000000000000000000000000000000\r\n\r\n"))
	f.Add([]byte("no colon\r\nYggpost-Receipt: 00000000000000000000000000000000\r\n\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		ids, ok := ReceiptIDs(head)
		if ok && (len(ids) == 0 || len(ids) > MaxReceiptIDs) {
			t.Errorf("receipt with %d ids accepted", len(ids))
		}
		for _, id := range ids {
			if !bytes.Contains(bytes.ToLower(head), []byte(id.String())) {
				t.Errorf("receipt id %s is not in the header %q", id, head)
			}
		}
		old, oldOK := refReceiptOf(head)
		if oldOK && (!ok || !slices.Equal(old, ids)) && !bytes.Contains(bytes.ToLower(head), []byte("yggpost-receipt ")) &&
			!bytes.Contains(bytes.ToLower(head), []byte("yggpost-receipt\t")) {
			t.Errorf("ReceiptIDs = %v, %v; the former detector's %v", ids, ok, old)
		}
	})
}

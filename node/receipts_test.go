package node

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
	msg := buildReceipt(local, sender, ids, time.Unix(1e9, 0))
	head, _, err := mailheader.Read(bytes.NewReader(msg), mailheader.DefaultMax)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := receiptOf(head)
	if !ok || !slices.Equal(got, ids) {
		t.Fatalf("receiptOf = %v %v, want %v", got, ok, ids)
	}
	for _, line := range strings.Split(string(head), "\r\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, receiptField)) && len(line) > 78 {
			t.Errorf("header line of %d characters: %q", len(line), line)
		}
	}
	many := make([]envelope.ID, maxReceiptIDs+1)
	head, _, _ = mailheader.Read(bytes.NewReader(buildReceipt(local, sender, many, time.Unix(0, 0))), mailheader.DefaultMax)
	if _, ok := receiptOf(head); ok {
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
	} {
		if _, ok := receiptOf([]byte(bad)); ok {
			t.Errorf("receiptOf(%q) took it for a receipt", bad)
		}
	}
}

// FuzzReceiptOf feeds arbitrary header blocks to the receipt detector: it
// never panics, and what it accepts names an id that formats back to the
// field's value.
func FuzzReceiptOf(f *testing.F) {
	f.Add(buildReceipt(envelope.Address{1}, envelope.Address{2}, []envelope.ID{{3}, {4}}, time.Unix(0, 0)))
	f.Add([]byte("Yggpost-Receipt: 00000000000000000000000000000000\r\n\r\n"))
	f.Add([]byte("yggpost-receipt:\r\n \r\n\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		ids, ok := receiptOf(head)
		if ok && (len(ids) == 0 || len(ids) > maxReceiptIDs) {
			t.Errorf("receipt with %d ids accepted", len(ids))
		}
		for _, id := range ids {
			if !bytes.Contains(bytes.ToLower(head), []byte(id.String())) {
				t.Errorf("receipt id %s is not in the header %q", id, head)
			}
		}
	})
}

func TestParseRelayRef(t *testing.T) {
	a := envelope.Address{7}
	for in, want := range map[string]RelayRef{
		a.String():                            {Address: a},
		" " + a.String() + " ":                {Address: a},
		a.String() + "=tok-123":               {Address: a, Invite: "tok-123"},
		strings.ToUpper(a.Hex()) + "@yggmail": {Address: a},
	} {
		got, err := ParseRelayRef(in)
		if err != nil || got != want {
			t.Errorf("ParseRelayRef(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "=tok", "relay.example", a.Hex(), a.String() + "=" + strings.Repeat("x", 256), a.String() + "=to ken", a.String() + "=tök"} {
		if _, err := ParseRelayRef(bad); err == nil {
			t.Errorf("ParseRelayRef(%q) accepted", bad)
		}
	}
}

func FuzzParseRelayRef(f *testing.F) {
	f.Add(envelope.Address{7}.String() + "=token")
	f.Add("x=y=z")
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseRelayRef(s)
		if err == nil && (ref.Address.IsZero() && !strings.Contains(s, strings.Repeat("0", 64)) || len(ref.Invite) > 255) {
			t.Errorf("ParseRelayRef(%q) = %+v", s, ref)
		}
	})
}

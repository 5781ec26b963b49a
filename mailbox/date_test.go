package mailbox

import (
	"testing"
	"time"
)

// sameInstantAndZone reports whether two dates are the same instant
// written in the same zone offset.
func sameInstantAndZone(a, b time.Time) bool {
	_, ao := a.Zone()
	_, bo := b.Zone()
	return a.Equal(b) && ao == bo
}

// TestInternalDateKeepsZone: the date Append is given comes back, after a
// restart too, with its zone offset, and Copy and Move keep it (RFC 9051
// 6.4.7: the copy has the same internal date).
func TestInternalDateKeepsZone(t *testing.T) {
	s, dir := openTest(t, Options{})
	if err := s.CreateMailbox("Keep"); err != nil {
		t.Fatal(err)
	}
	east := time.Date(2026, 1, 2, 0, 30, 0, 0, time.FixedZone("", 5*3600+30*60))
	west := time.Date(2025, 12, 31, 23, 59, 59, 0, time.FixedZone("", -8*3600))
	utc := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	named := time.Date(2026, 7, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	var uids []uint32
	for _, d := range []time.Time{east, west, utc, named} {
		m := mustAppend(t, s, "INBOX", []byte("x"), AppendOptions{Date: d})
		if !sameInstantAndZone(m.InternalDate, d) {
			t.Errorf("Append(%v) returned %v", d, m.InternalDate)
		}
		uids = append(uids, m.UID)
	}
	if _, _, err := s.Copy("INBOX", uids[:2], "Keep"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Move("INBOX", uids[2:], "Keep"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, dir, Options{})
	for _, box := range []string{"INBOX", "Keep"} {
		msgs, err := s.Messages(box)
		if err != nil {
			t.Fatal(err)
		}
		want := []time.Time{east, west, utc, named}
		if box == "INBOX" {
			want = want[:2]
		}
		if len(msgs) != len(want) {
			t.Fatalf("%s: %d messages, want %d", box, len(msgs), len(want))
		}
		for i, m := range msgs {
			if !sameInstantAndZone(m.InternalDate, want[i]) {
				t.Errorf("%s message %d: internal date %v, want %v", box, m.UID, m.InternalDate, want[i])
			}
		}
		if _, off := msgs[0].InternalDate.Zone(); box == "INBOX" && off != 5*3600+30*60 {
			t.Errorf("zone offset %d", off)
		}
	}
}

// TestMessageRecordZone: a record without a zone offset (all records
// before offsets were kept, and every UTC date) reads as UTC; an offset is
// checked.
func TestMessageRecordZone(t *testing.T) {
	utc := messageRec{Size: 1, Date: time.Unix(1700000000, 0).UTC(), Blob: blobID{1}}
	old := utc.encode()
	r, err := decodeMessage(old)
	if err != nil || r.Date.Location() != time.UTC || !r.Date.Equal(utc.Date) {
		t.Fatalf("UTC record: %v, %v", r.Date, err)
	}
	zoned := utc
	zoned.Date = inZone(utc.Date.In(time.FixedZone("X", -3*3600)))
	b := zoned.encode()
	if len(b) <= len(old) {
		t.Fatalf("zone not written: %x", b)
	}
	if r, err := decodeMessage(b); err != nil || !sameInstantAndZone(r.Date, zoned.Date) {
		t.Fatalf("zoned record: %v, %v", r.Date, err)
	}
	bad := append(append([]byte(nil), old...), 0xff, 0xff, 0x0f) // an offset far out of range
	if _, err := decodeMessage(bad); err == nil {
		t.Fatal("accepted an offset out of range")
	}
}

package mailbox

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestOutboundStateSurvivesRestart(t *testing.T) {
	s, dir := openTest(t, Options{})
	o := outbound(7)
	o.SentCopy = [16]byte{1, 2, 3}
	o.MessageID = "<kept@example>"
	if err := s.Enqueue(o, bytes.NewReader([]byte("body"))); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetOutbound(o.ID)
	if err != nil || got.SentCopy != o.SentCopy || got.MessageID != o.MessageID || !got.Custody.IsZero() || got.Notified {
		t.Fatalf("after enqueue: %+v %v", got, err)
	}
	until := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	got.Custody, got.Custodians, got.Notified, got.Attempts = until, "relay-a", true, 4
	got.MessageID = "<changed@example>" // fixed at Enqueue: not saved
	if err := s.SaveOutbound(got); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = reopen(t, dir, Options{})
	again, err := s.GetOutbound(o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Custody.Equal(until) || again.Custodians != "relay-a" || !again.Notified || again.Attempts != 4 || again.SentCopy != o.SentCopy || again.Size != 4 || again.MessageID != o.MessageID {
		t.Errorf("state after restart: %+v", again)
	}
	// UpdateOutbound keeps the other state fields.
	if err := s.UpdateOutbound(o.ID, 5, until, "later"); err != nil {
		t.Fatal(err)
	}
	if again, _ = s.GetOutbound(o.ID); !again.Notified || again.Custodians != "relay-a" || again.Attempts != 5 {
		t.Errorf("UpdateOutbound lost state: %+v", again)
	}
	if _, err := s.GetOutbound([16]byte{99}); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetOutbound of a missing id: %v", err)
	}
	if err := s.SaveOutbound(Outbound{ID: [16]byte{99}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("SaveOutbound of a missing id: %v", err)
	}
}

// A record written before the state fields existed still decodes, and one
// written before the Message-ID was kept.
func TestOutboundRecordWithoutState(t *testing.T) {
	r := outboundRec{Recipient: [32]byte{1}, Size: 3, Created: time.Unix(5, 0).UTC(), Attempts: 2, LastError: "x", Blob: blobID{9}}
	full := r.encode()
	noID := full[:len(full)-1] // without the empty Message-ID
	if got, err := decodeOutbound(noID); err != nil || got.MessageID != "" || got.Size != 3 {
		t.Errorf("a record without the Message-ID: %+v %v", got, err)
	}
	old := noID[:len(noID)-(16+1+1+1)] // without SentCopy, zero Custody, empty Custodians, Notified
	got, err := decodeOutbound(old)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != 3 || got.Attempts != 2 || got.LastError != "x" || got.Blob != r.Blob || !got.Custody.IsZero() {
		t.Errorf("decoded %+v", got)
	}
	if _, err := decodeOutbound(noID[:len(noID)-1]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a record cut inside the state fields: %v", err)
	}
}

func TestFindByKey(t *testing.T) {
	s, _ := openTest(t, Options{})
	key := [16]byte{4, 5}
	m := mustAppend(t, s, Sent, []byte("Subject: x\r\n\r\nhi\r\n"), AppendOptions{EnvelopeID: &key})
	box, uid, ok, err := s.FindByKey(key)
	if err != nil || !ok || box != Sent || uid != m.UID {
		t.Fatalf("FindByKey = %q %d %v %v", box, uid, ok, err)
	}
	if _, _, ok, err := s.FindByKey([16]byte{6}); ok || err != nil {
		t.Errorf("unknown key: ok %v err %v", ok, err)
	}
	if _, _, err := s.Move(Sent, []uint32{m.UID}, Inbox); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := s.FindByKey(key); ok || err != nil {
		t.Errorf("after the message moved: ok %v err %v", ok, err)
	}
}

func TestOthersShareSentCopy(t *testing.T) {
	s, dir := openTest(t, Options{})
	sent := [16]byte{0x5e}
	a, b, lone := outbound(1), outbound(2), outbound(3)
	a.SentCopy, b.SentCopy = sent, sent
	for _, o := range []Outbound{a, b, lone} {
		if err := s.Enqueue(o, bytes.NewReader([]byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	check := func(except [16]byte, want bool) {
		t.Helper()
		got, err := s.OthersShareSentCopy(sent, except)
		if err != nil || got != want {
			t.Errorf("OthersShareSentCopy(except %x) = %v %v, want %v", except[0], got, err, want)
		}
	}
	check(a.ID, true)
	// A saved state cannot move a row to another Sent copy.
	moved := a
	moved.SentCopy = [16]byte{0x77}
	if err := s.SaveOutbound(moved); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetOutbound(a.ID); got.SentCopy != sent {
		t.Errorf("SaveOutbound changed the Sent copy to %x", got.SentCopy)
	}
	if err := s.DeleteOutbound(b.ID); err != nil {
		t.Fatal(err)
	}
	check(a.ID, false)
	s.Close()
	s = reopen(t, dir, Options{})
	check(b.ID, true) // a is still queued
	if err := s.DeleteOutbound(a.ID); err != nil {
		t.Fatal(err)
	}
	check(b.ID, false)
}

// A Message-ID a record cannot keep (not UTF-8, or too long) is dropped;
// the row is queued all the same.
func TestOutboundMessageIDNotKept(t *testing.T) {
	s, _ := openTest(t, Options{})
	for i, id := range []string{"<\xff@bad>", "<" + string(bytes.Repeat([]byte("x"), maxStringLen)) + "@long>"} {
		o := outbound(byte(20 + i))
		o.MessageID = id
		if err := s.Enqueue(o, bytes.NewReader([]byte("body"))); err != nil {
			t.Fatalf("Message-ID %.20q: %v", id, err)
		}
		if got, err := s.GetOutbound(o.ID); err != nil || got.MessageID != "" {
			t.Errorf("Message-ID %.20q kept as %.20q (%v), want dropped", id, got.MessageID, err)
		}
	}
}

package mailbox

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

func outbound(id byte) Outbound {
	return Outbound{ID: [16]byte{id}, Recipient: [32]byte{0xaa, id}, NextAttempt: time.Unix(int64(1000-int(id)), 0)}
}

func TestOutboxLifecycle(t *testing.T) {
	s, dir := openTest(t, Options{})
	big := randomBytes(t, 3*chunkSize+5)
	if err := s.Enqueue(outbound(1), bytes.NewReader(big)); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(outbound(2), bytes.NewReader([]byte("small"))); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(outbound(2), bytes.NewReader([]byte("again"))); !errors.Is(err, ErrExists) {
		t.Errorf("second enqueue of an id: %v", err)
	}
	s.Close()
	s = reopen(t, dir, Options{})
	list, err := s.Outbox()
	if err != nil || len(list) != 2 {
		t.Fatalf("Outbox: %v %v", list, err)
	}
	if list[0].ID[0] != 2 || list[1].ID[0] != 1 || list[1].Size != int64(len(big)) || list[1].Recipient[1] != 1 || list[0].Created.IsZero() {
		t.Errorf("outbox after restart: %+v", list)
	}
	r, err := s.OpenOutbound(list[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read back %d bytes, err %v", len(got), err)
	}
	next := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.UpdateOutbound(list[1].ID, 3, next, "peer unreachable"); err != nil {
		t.Fatal(err)
	}
	list, _ = s.Outbox()
	if o := list[1]; o.Attempts != 3 || !o.NextAttempt.Equal(next) || o.LastError != "peer unreachable" {
		t.Errorf("after update: %+v", o)
	}
	for _, o := range list {
		if err := s.DeleteOutbound(o.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteOutbound(list[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if err := s.UpdateOutbound(list[0].ID, 1, next, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("update deleted: %v", err)
	}
	if keys, _ := s.keysWithPrefix([]byte{tagChunk}); len(keys) != 0 {
		t.Errorf("%d chunks left after delivery", len(keys))
	}
}

func TestOutboxBounds(t *testing.T) {
	opts := Options{MaxOutboxCount: 2, MaxOutboxBytes: 100}
	s, dir := openTest(t, opts)
	if err := s.Enqueue(outbound(1), bytes.NewReader(make([]byte, 60))); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(outbound(2), bytes.NewReader(make([]byte, 41))); !errors.Is(err, ErrOutboxFull) {
		t.Errorf("over bytes: %v", err)
	}
	if err := s.Enqueue(outbound(2), bytes.NewReader(make([]byte, 40))); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = reopen(t, dir, opts)
	if err := s.Enqueue(outbound(3), bytes.NewReader(nil)); !errors.Is(err, ErrOutboxFull) {
		t.Errorf("over count after restart: %v", err)
	}
	if err := s.DeleteOutbound([16]byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(outbound(3), bytes.NewReader(make([]byte, 60))); err != nil {
		t.Errorf("room freed by delete: %v", err)
	}
	if keys, _ := s.keysWithPrefix([]byte{tagChunk}); len(keys) != 2 {
		t.Errorf("%d chunks stored, want 2 (refused bodies must leave nothing)", len(keys))
	}
}

// Every message the store accepts can be queued sealed: the outbox allows
// the sealed size of a message of MaxMessageSize, and not a byte more.
func TestEnqueueAllowsSealedMaximum(t *testing.T) {
	const max = 200 << 10 // several envelope chunks
	s, _ := openTest(t, Options{MaxMessageSize: max})
	limit := envelope.SealedSize(max)
	if limit <= max {
		t.Fatalf("sealed size %d not above the message limit %d", limit, max)
	}
	if err := s.Enqueue(outbound(1), bytes.NewReader(make([]byte, limit))); err != nil {
		t.Fatalf("envelope of the largest message: %v", err)
	}
	if err := s.Enqueue(outbound(2), bytes.NewReader(make([]byte, limit+1))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one byte more: %v, want ErrTooLarge", err)
	}
}

package mailbox

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

// openTest opens a store in a fresh directory and closes it at cleanup.
func openTest(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	return reopen(t, dir, opts), dir
}

func reopen(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustAppend(t testing.TB, s *Store, box string, body []byte, opts AppendOptions) Message {
	t.Helper()
	m, dup, err := s.Append(box, bytes.NewReader(body), opts)
	if err != nil {
		t.Fatalf("Append to %s: %v", box, err)
	}
	if dup {
		t.Fatalf("Append to %s: unexpected duplicate", box)
	}
	return m
}

func readBody(t testing.TB, s *Store, box string, uid uint32) []byte {
	t.Helper()
	r, err := s.OpenMessage(box, uid)
	if err != nil {
		t.Fatalf("OpenMessage %s/%d: %v", box, uid, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s/%d: %v", box, uid, err)
	}
	return b
}

func mustStatus(t testing.TB, s *Store, box string) Status {
	t.Helper()
	st, err := s.Status(box)
	if err != nil {
		t.Fatalf("Status %s: %v", box, err)
	}
	return st
}

func TestSettings(t *testing.T) {
	s, dir := openTest(t, Options{})
	if _, err := s.Setting("key"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing setting: got %v, want ErrNotFound", err)
	}
	if err := s.SetSetting("key", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Setting("key"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: got %v, want ErrClosed", err)
	}
	s = reopen(t, dir, Options{})
	v, err := s.Setting("key")
	if err != nil || string(v) != "v1" {
		t.Fatalf("after reopen: %q, %v", v, err)
	}
}

func TestCollectGarbage(t *testing.T) {
	s, _ := openTest(t, Options{})
	m := mustAppend(t, s, "INBOX", randomBytes(t, 4<<20), AppendOptions{Flags: []string{`\Deleted`}})
	if _, err := s.Expunge("INBOX", []uint32{m.UID}); err != nil {
		t.Fatal(err)
	}
	if err := s.CollectGarbage(); err != nil {
		t.Fatalf("CollectGarbage: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.CollectGarbage(); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

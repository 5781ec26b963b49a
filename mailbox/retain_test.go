package mailbox

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// expungeOne flags uid \Deleted in box and expunges it.
func expungeOne(t *testing.T, s *Store, box string, uid uint32) {
	t.Helper()
	if _, err := s.StoreFlags(box, []uint32{uid}, FlagsAdd, []string{FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	gone, err := s.Expunge(box, []uint32{uid})
	if err != nil || !slices.Equal(gone, []uint32{uid}) {
		t.Fatalf("expunge %d: %v %v", uid, gone, err)
	}
}

func bodies(t *testing.T, s *Store) int {
	t.Helper()
	n, err := s.CountBodies()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRetainedUntilReleased(t *testing.T) {
	s, _ := openTest(t, Options{})
	w, err := s.WatchRetaining("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	body := randomBytes(t, 2*chunkSize+5)
	m := mustAppend(t, s, "INBOX", body, AppendOptions{})
	keep := mustAppend(t, s, "INBOX", []byte("kept"), AppendOptions{})
	expungeOne(t, s, "INBOX", m.UID)

	if st := mustStatus(t, s, "INBOX"); st.Messages != 1 || st.Size != keep.Size {
		t.Errorf("status counts the retained message: %+v", st)
	}
	if msgs, _ := s.Messages("INBOX"); len(msgs) != 1 || msgs[0].UID != keep.UID {
		t.Errorf("listing: %+v", msgs)
	}
	if got := readBody(t, s, "INBOX", m.UID); string(got) != string(body) {
		t.Fatal("retained body differs")
	}
	if held := w.Held(); !slices.Equal(held, []uint32{m.UID}) {
		t.Fatalf("held %v", held)
	}
	// A second session copies it before it is told (RFC 2180 4.4.2).
	src, dst, err := s.Move("INBOX", []uint32{m.UID}, "Archive")
	if err != nil || len(dst) != 1 || src[0] != m.UID {
		t.Fatalf("move of a retained message: %v %v %v", src, dst, err)
	}
	if got := readBody(t, s, "Archive", dst[0]); string(got) != string(body) {
		t.Fatal("copied body differs")
	}
	before := bodies(t, s)
	if err := w.Release([]uint32{m.UID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenMessage("INBOX", m.UID); !errors.Is(err, ErrNotFound) {
		t.Errorf("after release: %v", err)
	}
	if n := bodies(t, s); n != before {
		t.Errorf("the body shared with Archive went: %d -> %d", before, n)
	}
	expungeOne(t, s, "Archive", dst[0]) // no retaining watcher on Archive
	if n := bodies(t, s); n != before-1 {
		t.Errorf("bodies %d after the last copy went, want %d", n, before-1)
	}
}

func TestRetainedHeldByEveryWatcher(t *testing.T) {
	s, _ := openTest(t, Options{})
	a, _ := s.WatchRetaining("INBOX")
	b, _ := s.WatchRetaining("INBOX")
	plain, _ := s.Watch("INBOX")
	defer plain.Close()
	m := mustAppend(t, s, "INBOX", []byte("x"), AppendOptions{})
	expungeOne(t, s, "INBOX", m.UID)
	if len(plain.Held()) != 0 {
		t.Error("a plain watcher holds")
	}
	if err := a.Release([]uint32{m.UID, 999}); err != nil {
		t.Fatal(err)
	}
	readBody(t, s, "INBOX", m.UID) // b still holds it
	b.Close()
	if _, err := s.OpenMessage("INBOX", m.UID); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the last holder closed: %v", err)
	}
	a.Close()
	if n := bodies(t, s); n != 0 {
		t.Errorf("%d bodies left", n)
	}
	// Once no retaining watcher is open, expunge deletes at once.
	m = mustAppend(t, s, "INBOX", []byte("y"), AppendOptions{})
	expungeOne(t, s, "INBOX", m.UID)
	if n := bodies(t, s); n != 0 {
		t.Errorf("%d bodies left without a retaining watcher", n)
	}
}

func TestRetainedSweptAtOpen(t *testing.T) {
	s, dir := openTest(t, Options{})
	w, _ := s.WatchRetaining("INBOX")
	m := mustAppend(t, s, "INBOX", randomBytes(t, chunkSize+1), AppendOptions{})
	expungeOne(t, s, "INBOX", m.UID)
	// The process ends with the watcher open (a crash, or Close first).
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	s = reopen(t, dir, Options{})
	if _, err := s.OpenMessage("INBOX", m.UID); !errors.Is(err, ErrNotFound) {
		t.Errorf("after reopen: %v", err)
	}
	if n := bodies(t, s); n != 0 {
		t.Errorf("%d bodies left after the sweep", n)
	}
}

func TestRenewKeepsRetained(t *testing.T) {
	s, _ := openTest(t, Options{})
	if err := s.CreateMailbox("Box"); err != nil {
		t.Fatal(err)
	}
	w, _ := s.WatchRetaining("Box")
	m := mustAppend(t, s, "Box", []byte("x"), AppendOptions{})
	expungeOne(t, s, "Box", m.UID)
	if err := s.RenameMailbox("Box", "Renamed"); err != nil {
		t.Fatal(err)
	}
	nw, err := w.Renew()
	if err != nil {
		t.Fatal(err)
	}
	if err := waitClosed(t, w); err != nil {
		t.Errorf("the old watcher ended with %v", err)
	}
	readBody(t, s, "Renamed", m.UID)
	if held := nw.Held(); !slices.Equal(held, []uint32{m.UID}) {
		t.Fatalf("renewed watcher holds %v", held)
	}
	mustAppend(t, s, "Renamed", []byte("y"), AppendOptions{})
	if c := next(t, nw); c.Kind != Added {
		t.Errorf("renewed feed: %+v", c)
	}
	if err := s.DeleteMailbox("Renamed"); err != nil {
		t.Fatal(err)
	}
	if err := waitClosed(t, nw); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("after delete: %v", err)
	}
	nw.Close()
	if n := bodies(t, s); n != 0 {
		t.Errorf("%d bodies left after deleting the mailbox", n)
	}
	if _, err := nw.Renew(); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("renew of a deleted mailbox: %v", err)
	}
}

func TestRecentUIDPersists(t *testing.T) {
	s, dir := openTest(t, Options{})
	for range 3 {
		mustAppend(t, s, "INBOX", []byte("x"), AppendOptions{})
	}
	if st := mustStatus(t, s, "INBOX"); st.RecentUID != 0 || st.Recent != 3 {
		t.Fatalf("fresh: %+v", st)
	}
	if err := s.SetRecentUID("inbox", 2); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRecentUID("INBOX", 1); err != nil { // never lowers
		t.Fatal(err)
	}
	if err := s.SetRecentUID("INBOX", 99); err != nil { // never past the last UID
		t.Fatal(err)
	}
	if st := mustStatus(t, s, "INBOX"); st.RecentUID != 3 || st.Recent != 0 {
		t.Fatalf("after claims: %+v", st)
	}
	mustAppend(t, s, "INBOX", []byte("x"), AppendOptions{})
	s.Close()
	s = reopen(t, dir, Options{})
	if st := mustStatus(t, s, "INBOX"); st.RecentUID != 3 || st.Recent != 1 {
		t.Fatalf("after reopen: %+v", st)
	}
}

func TestMailboxRecordWithoutRecentUID(t *testing.T) {
	r := mailboxRec{Name: "INBOX", UIDValidity: 1, UIDNext: 8, ModSeq: 3, RecentUID: 5}
	b := r.encode()
	old := b[:len(b)-1] // as written before the field existed
	got, err := decodeMailbox(old)
	if err != nil || got.RecentUID != 7 {
		t.Fatalf("old record: %+v %v", got, err)
	}
	if again := got.encode(); !bytes.Equal(again, old) {
		t.Errorf("a record with nothing recent changed its encoding: %x, was %x", again, old)
	}
	if got, err := decodeMailbox(b); err != nil || got.RecentUID != 5 {
		t.Fatalf("new record: %+v %v", got, err)
	}
	r.RecentUID = 8
	if _, err := decodeMailbox(r.encode()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("recent UID past UIDNEXT accepted: %v", err)
	}
}

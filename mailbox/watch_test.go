package mailbox

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// next waits for one change or fails the test after a deadline.
func next(t *testing.T, w *Watcher) Change {
	t.Helper()
	select {
	case c, ok := <-w.C():
		if !ok {
			t.Fatalf("watcher closed: %v", w.Err())
		}
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no change within 5s")
	}
	return Change{}
}

// waitClosed waits for the watcher's channel to close and returns Err.
func waitClosed(t *testing.T, w *Watcher) error {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-w.C():
			if !ok {
				return w.Err()
			}
		case <-deadline:
			t.Fatal("watcher not closed within 5s")
		}
	}
}

func TestWatchFeed(t *testing.T) {
	s, _ := openTest(t, Options{})
	w, err := s.Watch("inbox")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	other, _ := s.Watch("Sent")
	defer other.Close()

	m := mustAppend(t, s, "INBOX", []byte("x"), AppendOptions{})
	if c := next(t, w); c.Kind != Added || c.UID != m.UID || c.ModSeq != m.ModSeq || c.Mailbox != "INBOX" {
		t.Errorf("append: %+v", c)
	}
	s.StoreFlags("INBOX", []uint32{m.UID}, FlagsAdd, []string{`\Deleted`})
	if c := next(t, w); c.Kind != FlagsChanged || c.UID != m.UID || len(c.Flags) != 1 || c.ModSeq <= m.ModSeq {
		t.Errorf("flags: %+v", c)
	}
	_, dst, err := s.Copy("INBOX", []uint32{m.UID}, "Sent")
	if err != nil {
		t.Fatal(err)
	}
	if c := next(t, other); c.Kind != Added || c.UID != dst[0] || c.Mailbox != "Sent" {
		t.Errorf("copy into Sent: %+v", c)
	}
	s.Expunge("INBOX", nil)
	if c := next(t, w); c.Kind != Expunged || c.UID != m.UID {
		t.Errorf("expunge: %+v", c)
	}
	if err := s.RenameMailbox("Sent", "Sent Items"); err != nil {
		t.Fatal(err)
	}
	s.Move("Sent Items", dst, "INBOX")
	if c := next(t, w); c.Kind != Added {
		t.Errorf("move into INBOX: %+v", c)
	}
	if c := next(t, other); c.Kind != Expunged || c.Mailbox != "Sent Items" {
		t.Errorf("move out of renamed mailbox: %+v", c)
	}
	if err := s.DeleteMailbox("Sent Items"); err != nil {
		t.Fatal(err)
	}
	if err := waitClosed(t, other); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("after delete: %v", err)
	}
	select {
	case c := <-w.C():
		t.Errorf("unexpected change %+v", c)
	default:
	}
}

func TestWatchOverflowDoesNotBlockWriters(t *testing.T) {
	s, _ := openTest(t, Options{})
	w, err := s.Watch("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var uids []uint32
	for range 10 {
		uids = append(uids, mustAppend(t, s, "INBOX", []byte("x"), AppendOptions{}).UID)
	}
	done := make(chan error, 1)
	go func() {
		// Each round changes 10 messages; far more changes than the buffer.
		for i := range WatchBuffer/10 + 10 {
			op := FlagsAdd
			if i%2 == 1 {
				op = FlagsRemove
			}
			if _, err := s.StoreFlags("INBOX", uids, op, []string{"k"}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("writer blocked by a slow watcher")
	}
	if err := waitClosed(t, w); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflowed watcher: %v", err)
	}
	w.Close() // after overflow: harmless
}

func TestWatchEndsOnClose(t *testing.T) {
	s, _ := openTest(t, Options{})
	if _, err := s.Watch("Nope"); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("watch missing: %v", err)
	}
	w, err := s.Watch("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	closed, _ := s.Watch("INBOX")
	closed.Close()
	if _, ok := <-closed.C(); ok || closed.Err() != nil {
		t.Errorf("closed watcher: err %v", closed.Err())
	}
	if _, _, err := s.Append("INBOX", bytes.NewReader(nil), AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	next(t, w) // the append
	if err := waitClosed(t, w); !errors.Is(err, ErrClosed) {
		t.Errorf("after store close: %v", err)
	}
}

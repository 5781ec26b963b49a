package mailbox

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// FuzzStoreOps runs a program of store operations, with fuzzed mailbox
// names and flags, against one store, and checks after each program that
// the counters of every mailbox match its messages, that the mailboxes
// agree with the subscriptions and, once a retaining watcher of INBOX
// released what it held, that no body is left without a message. Errors
// are allowed (bad names, missing mailboxes); panics and inconsistencies
// are not.
func FuzzStoreOps(f *testing.F) {
	f.Add([]byte{9, 18, 0, 1, 10, 2, 3, 4, 5, 6, 7, 27, 13}, "Work", `\Seen`)
	f.Add([]byte{0, 3, 0, 4, 5, 1, 2, 6, 7, 8}, "inbox/x", `\Deleted`)
	f.Add([]byte{5, 0, 7, 0, 0, 3, 8, 2}, "a//b", "$Label")
	s, err := Open(f.TempDir(), Options{MaxMessageSize: 1 << 16})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	w, err := s.WatchRetaining("INBOX")
	if err != nil {
		f.Fatal(err)
	}
	defer w.Close()
	f.Fuzz(func(t *testing.T, prog []byte, name, flag string) {
		boxes := []string{"INBOX", "Trash", name}
		for i, op := range prog {
			box, other := boxes[i%3], boxes[(i+int(op))%3]
			runOp(s, op, box, other, name, flag)
		}
		checkCounters(t, s)
		if err := w.Release(w.Held()); err != nil {
			t.Fatal(err)
		}
		checkBodies(t, s)
	})
}

// checkBodies verifies that the bodies on disk are exactly those of the
// messages (the outbox is empty here).
func checkBodies(t *testing.T, s *Store) {
	recs, err := s.allMailboxes()
	if err != nil {
		t.Fatal(err)
	}
	used := map[blobID]bool{}
	for _, r := range recs {
		msgs, err := s.listMessages(r.id)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Size > 0 {
				used[m.Blob] = true
			}
		}
	}
	if n, err := s.CountBodies(); err != nil || n != len(used) {
		t.Fatalf("%d bodies on disk, %d in use (%v)", n, len(used), err)
	}
}

func runOp(s *Store, op byte, box, other, name, flag string) {
	uids := []uint32{1, 2, 3, uint32(op)}
	switch op % 11 {
	case 0:
		s.Append(box, bytes.NewReader(bytes.Repeat([]byte{op}, int(op)*97)), AppendOptions{Flags: []string{flag}})
	case 1:
		s.StoreFlags(box, uids, FlagsAdd, []string{flag, FlagDeleted})
	case 2:
		s.StoreFlags(box, uids, FlagOp(op%4), []string{flag})
	case 3:
		s.Expunge(box, nil)
	case 4:
		s.Copy(box, uids, other)
	case 5:
		s.Move(box, uids, other)
	case 6:
		s.CreateMailbox(name)
	case 7:
		s.RenameMailbox(box, other)
	case 8:
		s.DeleteMailbox(box)
	case 9:
		s.SetSubscribed(box, true)
	case 10:
		s.SetSubscribed(other, false)
	}
}

// checkCounters verifies Status against the messages of every mailbox,
// and that Mailboxes says subscribed exactly for the subscribed names.
func checkCounters(t *testing.T, s *Store) {
	boxes, err := s.Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	subs, err := s.Subscriptions()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		if _, found := slices.BinarySearch(subs, b.Name); found != b.Subscribed {
			t.Fatalf("mailbox %q: Subscribed %v, subscriptions %q", b.Name, b.Subscribed, subs)
		}
	}
	for _, b := range boxes {
		st, err1 := s.Status(b.Name)
		msgs, err2 := s.Messages(b.Name)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("mailbox %q: %v", b.Name, err)
		}
		var unseen uint32
		var size int64
		for _, m := range msgs {
			if !hasFlag(m.Flags, FlagSeen) {
				unseen++
			}
			size += m.Size
			if m.UID >= st.UIDNext || m.ModSeq > st.HighestModSeq {
				t.Fatalf("mailbox %q: message %+v beyond status %+v", b.Name, m, st)
			}
		}
		if st.Messages != uint32(len(msgs)) || st.Unseen != unseen || st.Size != size {
			t.Fatalf("mailbox %q: status %+v, but %d messages, %d unseen, %d bytes", b.Name, st, len(msgs), unseen, size)
		}
	}
}

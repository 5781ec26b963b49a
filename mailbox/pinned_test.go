package mailbox

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
)

// pinnedWrites are the writes of a Pinned, each as it would run on the
// UIDs 1 to 3 a session selected.
var pinnedWrites = []struct {
	name string
	run  func(p Pinned) error
}{
	{"StoreFlags", func(p Pinned) error {
		_, err := p.StoreFlags([]uint32{1, 2, 3}, FlagsAdd, []string{FlagFlagged})
		return err
	}},
	{"StoreFlagsUnchangedSince", func(p Pinned) error {
		_, _, err := p.StoreFlagsUnchangedSince([]uint32{1, 2, 3}, FlagsReplace, nil, 1<<40)
		return err
	}},
	{"Expunge", func(p Pinned) error { _, err := p.Expunge(nil); return err }},
	{"UID Expunge", func(p Pinned) error { _, err := p.Expunge([]uint32{1, 2, 3}); return err }},
	{"Copy", func(p Pinned) error { _, _, err := p.Copy([]uint32{1, 2, 3}, Archive); return err }},
	{"Move", func(p Pinned) error { _, _, err := p.Move([]uint32{1, 2, 3}, Archive); return err }},
	{"Move to itself", func(p Pinned) error { _, _, err := p.Move([]uint32{1, 2, 3}, "Work"); return err }},
	{"SetRecentUID", func(p Pinned) error { return p.SetRecentUID(3) }},
}

// pinnedReplacements take the name Work from the mailbox a session
// pinned; a mailbox created with the name gets three messages too.
var pinnedReplacements = []struct {
	name    string
	replace func(t *testing.T, s *Store)
}{
	{"rename and create", func(t *testing.T, s *Store) {
		if err := s.RenameMailbox("Work", "Old"); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateMailbox("Work"); err != nil {
			t.Fatal(err)
		}
		fillWork(t, s, "Work", "new")
	}},
	{"delete and create", func(t *testing.T, s *Store) {
		if err := s.DeleteMailbox("Work"); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateMailbox("Work"); err != nil {
			t.Fatal(err)
		}
		fillWork(t, s, "Work", "new")
	}},
	{"rename", func(t *testing.T, s *Store) {
		if err := s.RenameMailbox("Work", "Old"); err != nil {
			t.Fatal(err)
		}
	}},
}

// pinnedWork opens a store with a mailbox Work of three messages
// (fillWork, tagged "old") and returns it pinned.
func pinnedWork(t *testing.T) (*Store, Pinned) {
	t.Helper()
	s, _ := openTest(t, Options{})
	if err := s.CreateMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	fillWork(t, s, "Work", "old")
	return s, s.Pin("Work", mustStatus(t, s, "Work").UIDValidity)
}

// fillWork appends three messages to name, the first flagged \Deleted,
// with bodies that say which mailbox they were added to.
func fillWork(t *testing.T, s *Store, name, tag string) {
	t.Helper()
	for i := range 3 {
		var flags []string
		if i == 0 {
			flags = []string{FlagDeleted}
		}
		mustAppend(t, s, name, fmt.Appendf(nil, "%s %d", tag, i+1), AppendOptions{Flags: flags})
	}
}

// storeState is every mailbox's status, messages and bodies.
type storeState map[string]struct {
	Status   Status
	Messages []Message
	Bodies   []string
}

func stateOf(t *testing.T, s *Store) storeState {
	t.Helper()
	boxes, err := s.Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	out := storeState{}
	for _, mb := range boxes {
		st := mustStatus(t, s, mb.Name)
		msgs, err := s.Messages(mb.Name)
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, m := range msgs {
			bodies = append(bodies, string(readBody(t, s, mb.Name, m.UID)))
		}
		out[mb.Name] = struct {
			Status   Status
			Messages []Message
			Bodies   []string
		}{st, msgs, bodies}
	}
	return out
}

// A mailbox pinned by a session refuses every write once its name belongs
// to another mailbox or to none, and changes nothing: neither the mailbox
// that now has the name, nor the one pinned under its new name, nor the
// destination of a copy or move.
func TestPinnedRefusesReplacedMailbox(t *testing.T) {
	for _, r := range pinnedReplacements {
		for _, w := range pinnedWrites {
			t.Run(r.name+"/"+w.name, func(t *testing.T) {
				s, p := pinnedWork(t)
				r.replace(t, s)
				before := stateOf(t, s)
				if err := w.run(p); !errors.Is(err, ErrMailboxChanged) {
					t.Errorf("%s after %s: %v, want ErrMailboxChanged", w.name, r.name, err)
				}
				if err := p.Check(); !errors.Is(err, ErrMailboxChanged) {
					t.Errorf("Check after %s: %v, want ErrMailboxChanged", r.name, err)
				}
				if after := stateOf(t, s); !reflect.DeepEqual(after, before) {
					t.Errorf("%s after %s changed the store:\nbefore %+v\nafter  %+v", w.name, r.name, before, after)
				}
			})
		}
	}
}

// While its name still belongs to it, a pinned mailbox is written as by
// the Store's methods of the same name; renaming another mailbox, or the
// pinned one away and back, does not unpin it.
func TestPinnedWritesTheMailboxItPins(t *testing.T) {
	for _, w := range pinnedWrites {
		t.Run(w.name, func(t *testing.T) {
			s, p := pinnedWork(t)
			for _, rename := range [][2]string{{"Work", "Away"}, {"Away", "Work"}, {"Junk", "Spam"}} {
				if err := s.RenameMailbox(rename[0], rename[1]); err != nil {
					t.Fatal(err)
				}
			}
			before := stateOf(t, s)
			if err := w.run(p); err != nil {
				t.Fatalf("%s: %v", w.name, err)
			}
			if err := p.Check(); err != nil {
				t.Errorf("Check: %v", err)
			}
			if after := stateOf(t, s); reflect.DeepEqual(after, before) {
				t.Errorf("%s changed nothing", w.name)
			}
		})
	}
}

// A pinned mailbox's bodies are read only while its name belongs to it:
// once it does not, OpenMessage reads nothing, not even the message of
// the same UID in a mailbox created with the name since, which
// Store.OpenMessage reads by name.
func TestPinnedOpenMessageReadsOnlyTheMailboxItPins(t *testing.T) {
	for _, r := range pinnedReplacements {
		t.Run(r.name, func(t *testing.T) {
			s, p := pinnedWork(t)
			r.replace(t, s)
			body, err := p.OpenMessage(1)
			if err == nil {
				body.Close()
			}
			if !errors.Is(err, ErrMailboxChanged) {
				t.Errorf("OpenMessage after %s: %v, want ErrMailboxChanged", r.name, err)
			}
		})
	}
	t.Run("renamed away and back", func(t *testing.T) {
		s, p := pinnedWork(t)
		for _, rename := range [][2]string{{"Work", "Away"}, {"Away", "Work"}} {
			if err := s.RenameMailbox(rename[0], rename[1]); err != nil {
				t.Fatal(err)
			}
		}
		r, err := p.OpenMessage(2)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if body, err := io.ReadAll(r); err != nil || string(body) != "old 2" {
			t.Errorf("OpenMessage(2): %q, %v; want %q", body, err, "old 2")
		}
	})
}

package mailbox

import (
	"errors"
	"slices"
	"testing"
)

func names(t *testing.T, s *Store) []string {
	t.Helper()
	boxes, err := s.Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range boxes {
		out = append(out, b.Name)
	}
	return out
}

func TestDefaultMailboxes(t *testing.T) {
	s, _ := openTest(t, Options{})
	boxes, err := s.Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"INBOX": "", "Sent": `\Sent`, "Drafts": `\Drafts`,
		"Trash": `\Trash`, "Junk": `\Junk`, "Archive": `\Archive`}
	if len(boxes) != len(want) {
		t.Fatalf("got %d mailboxes, want %d: %v", len(boxes), len(want), boxes)
	}
	seen := map[uint32]bool{}
	for _, b := range boxes {
		use, ok := want[b.Name]
		if !ok || use != b.SpecialUse || !b.Subscribed || b.UIDValidity == 0 || seen[b.UIDValidity] {
			t.Errorf("unexpected mailbox %+v", b)
		}
		seen[b.UIDValidity] = true
	}
	if _, err := s.Status("inbox"); err != nil {
		t.Errorf("INBOX is case-insensitive: %v", err)
	}
	if _, err := s.Status("sent"); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("other names are case-sensitive: got %v", err)
	}
}

func TestCreateDeleteMailbox(t *testing.T) {
	s, dir := openTest(t, Options{})
	if err := s.CreateMailbox("Work/2026/Q4"); err != nil {
		t.Fatal(err)
	}
	got := names(t, s)
	for _, n := range []string{"Work", "Work/2026", "Work/2026/Q4"} {
		if !slices.Contains(got, n) {
			t.Errorf("missing %q in %v", n, got)
		}
	}
	if err := s.CreateMailbox("Work"); !errors.Is(err, ErrExists) {
		t.Errorf("create existing: got %v, want ErrExists", err)
	}
	if err := s.CreateMailbox("inbox"); !errors.Is(err, ErrExists) {
		t.Errorf("create inbox: got %v, want ErrExists", err)
	}
	for _, bad := range []string{"", "/a", "a/", "a//b", "a*", "x%", "a\x00b", "\xff"} {
		if err := s.CreateMailbox(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("create %q: got %v, want ErrBadName", bad, err)
		}
	}
	if err := s.DeleteMailbox("INBOX"); !errors.Is(err, ErrInboxDelete) {
		t.Errorf("delete INBOX: got %v", err)
	}
	if err := s.DeleteMailbox("Nope"); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("delete missing: got %v", err)
	}
	before := mustStatus(t, s, "Work").UIDValidity
	mustAppend(t, s, "Work", []byte("hello"), AppendOptions{})
	if err := s.DeleteMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	st := mustStatus(t, s, "Work")
	if st.UIDValidity == before || st.Messages != 0 || st.UIDNext != 1 {
		t.Errorf("re-created mailbox: %+v (old UIDVALIDITY %d)", st, before)
	}
	s.Close()
	s = reopen(t, dir, Options{})
	if got := names(t, s); !slices.Contains(got, "Work/2026/Q4") || slices.Contains(got, "Trash") == false {
		t.Errorf("after reopen: %v", got)
	}
}

func TestDeletedDefaultStaysDeleted(t *testing.T) {
	s, dir := openTest(t, Options{})
	if err := s.DeleteMailbox("Junk"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = reopen(t, dir, Options{})
	if slices.Contains(names(t, s), "Junk") {
		t.Error("Junk re-created on open")
	}
}

func TestRenameMailbox(t *testing.T) {
	s, _ := openTest(t, Options{})
	for _, n := range []string{"A/B", "A/C", "AB"} {
		if err := s.CreateMailbox(n); err != nil {
			t.Fatal(err)
		}
	}
	uv := mustStatus(t, s, "A/B").UIDValidity
	m := mustAppend(t, s, "A/B", []byte("body"), AppendOptions{})
	if err := s.RenameMailbox("A", "X/Y"); err != nil {
		t.Fatal(err)
	}
	got := names(t, s)
	want := []string{"AB", "Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash", "X", "X/Y", "X/Y/B", "X/Y/C"}
	if !slices.Equal(got, want) {
		t.Fatalf("after rename: %v, want %v", got, want)
	}
	if st := mustStatus(t, s, "X/Y/B"); st.UIDValidity != uv || st.Messages != 1 {
		t.Errorf("renamed mailbox status %+v", st)
	}
	if string(readBody(t, s, "X/Y/B", m.UID)) != "body" {
		t.Error("body lost in rename")
	}
	if err := s.RenameMailbox("AB", "X/Y/B"); !errors.Is(err, ErrExists) {
		t.Errorf("rename onto existing: %v", err)
	}
	if err := s.RenameMailbox("X", "X/Z"); !errors.Is(err, ErrBadName) {
		t.Errorf("rename into itself: %v", err)
	}
	if err := s.RenameMailbox("Nope", "Z"); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("rename missing: %v", err)
	}
}

func TestRenameInbox(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustAppend(t, s, "INBOX", []byte("one"), AppendOptions{})
	mustAppend(t, s, "INBOX", []byte("two"), AppendOptions{Flags: []string{`\Seen`}})
	inbox := mustStatus(t, s, "INBOX")
	if err := s.RenameMailbox("inbox", "Old"); err != nil {
		t.Fatal(err)
	}
	after := mustStatus(t, s, "INBOX")
	if after.Messages != 0 || after.UIDValidity != inbox.UIDValidity || after.UIDNext != inbox.UIDNext {
		t.Errorf("INBOX after rename: %+v, before %+v", after, inbox)
	}
	old := mustStatus(t, s, "Old")
	if old.Messages != 2 || old.Unseen != 1 {
		t.Errorf("Old: %+v", old)
	}
}

func TestSubscribe(t *testing.T) {
	s, _ := openTest(t, Options{})
	if err := s.CreateMailbox("News"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSubscribed("News", true); err != nil {
		t.Fatal(err)
	}
	boxes, _ := s.Mailboxes()
	i := slices.IndexFunc(boxes, func(b Mailbox) bool { return b.Name == "News" })
	if i < 0 || !boxes[i].Subscribed {
		t.Errorf("News not subscribed: %+v", boxes)
	}
	if err := s.SetSubscribed("a//b", true); !errors.Is(err, ErrBadName) {
		t.Errorf("subscribe a bad name: %v", err)
	}
}

func TestCreateSpecialMailbox(t *testing.T) {
	s, dir := openTest(t, Options{})
	if err := s.CreateSpecialMailbox("Old/Sent", `\sent`); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSpecialMailbox("Odd", `\All`); !errors.Is(err, ErrBadSpecialUse) {
		t.Errorf("\\All: %v, want ErrBadSpecialUse", err)
	}
	if err := s.CreateSpecialMailbox("Odd", ""); err != nil {
		t.Errorf("no special use: %v", err)
	}
	s.Close()
	s = reopen(t, dir, Options{})
	uses := map[string]string{}
	boxes, err := s.Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		uses[b.Name] = b.SpecialUse
	}
	if uses["Old/Sent"] != `\Sent` || uses["Old"] != "" || uses["Odd"] != "" {
		t.Errorf("special uses after reopen: %v", uses)
	}
}

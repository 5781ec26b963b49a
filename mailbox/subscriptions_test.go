package mailbox

import (
	"errors"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func subscriptions(t *testing.T, s *Store) []string {
	t.Helper()
	subs, err := s.Subscriptions()
	if err != nil {
		t.Fatal(err)
	}
	return subs
}

func subscribed(t *testing.T, s *Store, name string) bool {
	t.Helper()
	boxes, err := s.Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(boxes, func(b Mailbox) bool { return b.Name == name })
	return i >= 0 && boxes[i].Subscribed
}

// A subscription outlives its mailbox, may name a mailbox that never
// existed, and survives a restart (RFC 3501 6.3.6, 6.3.9).
func TestSubscriptionsIndependentOfMailboxes(t *testing.T) {
	s, dir := openTest(t, Options{})
	want := []string{"Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"}
	if got := subscriptions(t, s); !slices.Equal(got, want) {
		t.Fatalf("new store subscribes %v, want %v", got, want)
	}
	for _, step := range []struct {
		name string
		on   bool
	}{{"News/Daily", true}, {"Never/Made", true}, {"inbox/Sub", true}, {"Junk", false}, {"Junk", false}, {"Never/Made", true}} {
		if err := s.SetSubscribed(step.name, step.on); err != nil {
			t.Fatalf("SetSubscribed(%q, %v): %v", step.name, step.on, err)
		}
	}
	if err := s.CreateMailbox("News/Daily"); err != nil {
		t.Fatal(err)
	}
	if !subscribed(t, s, "News/Daily") || subscribed(t, s, "News") || subscribed(t, s, "Junk") {
		t.Errorf("Mailboxes disagrees with the subscriptions: %v", subscriptions(t, s))
	}
	if err := s.DeleteMailbox("News/Daily"); err != nil {
		t.Fatal(err)
	}
	want = []string{"Archive", "Drafts", "INBOX", "INBOX/Sub", "Never/Made", "News/Daily", "Sent", "Trash"}
	if got := subscriptions(t, s); !slices.Equal(got, want) {
		t.Errorf("after delete: %v, want %v", got, want)
	}
	s.Close()
	s = reopen(t, dir, Options{})
	if got := subscriptions(t, s); !slices.Equal(got, want) {
		t.Errorf("after reopen: %v, want %v", got, want)
	}
	for _, bad := range []string{"", "a*", "x%", "/a", "a/", "a\x01"} {
		if err := s.SetSubscribed(bad, true); !errors.Is(err, ErrBadName) {
			t.Errorf("subscribe %q: %v, want ErrBadName", bad, err)
		}
	}
}

// Renaming a hierarchy moves its subscriptions, those of names that do not
// exist included; names that only share a prefix keep theirs.
func TestRenameMovesSubscriptions(t *testing.T) {
	s, _ := openTest(t, Options{})
	for _, n := range []string{"A/B", "AB"} {
		if err := s.CreateMailbox(n); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"A", "A/B", "A/Gone", "AB"} {
		if err := s.SetSubscribed(n, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RenameMailbox("A", "A"); !errors.Is(err, ErrExists) {
		t.Errorf("rename onto itself: %v, want ErrExists", err)
	}
	if err := s.RenameMailbox("Nope", "Nope"); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("rename a missing mailbox onto itself: %v, want ErrNoMailbox", err)
	}
	if err := s.RenameMailbox("A", "X/Y"); err != nil {
		t.Fatal(err)
	}
	want := []string{"AB", "Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash", "X/Y", "X/Y/B", "X/Y/Gone"}
	if got := subscriptions(t, s); !slices.Equal(got, want) {
		t.Errorf("after rename: %v, want %v", got, want)
	}
}

// RENAME INBOX may name a mailbox below INBOX (RFC 9051 6.3.6 moves the
// messages; INBOX stays).
func TestRenameInboxBelowItself(t *testing.T) {
	s, _ := openTest(t, Options{})
	mustAppend(t, s, "INBOX", []byte("one"), AppendOptions{})
	if err := s.RenameMailbox("INBOX", "inbox/Old"); err != nil {
		t.Fatal(err)
	}
	if st := mustStatus(t, s, "INBOX/Old"); st.Messages != 1 {
		t.Errorf("INBOX/Old: %+v", st)
	}
	if st := mustStatus(t, s, "INBOX"); st.Messages != 0 {
		t.Errorf("INBOX: %+v", st)
	}
	if !subscribed(t, s, "INBOX") {
		t.Error("INBOX lost its subscription")
	}
	if err := s.RenameMailbox("INBOX", "INBOX"); !errors.Is(err, ErrBadName) {
		t.Errorf("rename INBOX to itself: %v", err)
	}
}

// A store written before the subscription table kept the flag in each
// mailbox record: the first Open copies the flags, later ones leave the
// table alone.
func TestSubscriptionMigration(t *testing.T) {
	s, dir := openTest(t, Options{})
	for _, n := range []string{"Old/Kept", "Old/Dropped"} {
		if err := s.CreateMailbox(n); err != nil {
			t.Fatal(err)
		}
	}
	legacy := map[string]bool{"INBOX": true, "Sent": true, "Old/Kept": true}
	makeLegacy(t, s, legacy)
	s.Close()

	s = reopen(t, dir, Options{})
	want := []string{"INBOX", "Old/Kept", "Sent"}
	if got := subscriptions(t, s); !slices.Equal(got, want) {
		t.Fatalf("migrated subscriptions %v, want %v", got, want)
	}
	if err := s.SetSubscribed("Sent", false); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = reopen(t, dir, Options{})
	if got := subscriptions(t, s); !slices.Equal(got, []string{"INBOX", "Old/Kept"}) {
		t.Errorf("the migration ran twice: %v", got)
	}
}

// makeLegacy rewrites s as a store from before the subscription table:
// no "u" or "m" keys, and the flag set in the records of the names in subs.
func makeLegacy(t *testing.T, s *Store, subs map[string]bool) {
	t.Helper()
	recs, err := s.allMailboxes()
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(txn *badger.Txn) error {
		for _, prefix := range []byte{tagSubscribe, tagMigration} {
			for _, k := range keysUnder(txn, prefix) {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
		}
		for _, r := range recs {
			r.Subscribed = subs[r.Name]
			if err := txn.Set(mailboxKey(r.id), r.encode()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func keysUnder(txn *badger.Txn, tag byte) [][]byte {
	it := keyIterator(txn, []byte{tag})
	defer it.Close()
	var keys [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	return keys
}

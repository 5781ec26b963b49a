package mailbox

import (
	"strings"
	"testing"
)

// AppendUID names the mailbox a message went to by the UIDVALIDITY it had
// when the message was stored, also when the name has belonged to several
// mailboxes, and for a duplicate the mailbox it was found in.
func TestAppendUIDNamesTheMailboxItStoredIn(t *testing.T) {
	s, _ := openTest(t, Options{})
	if err := s.CreateMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	first := mustStatus(t, s, "Work").UIDValidity
	envID := &[16]byte{7}
	appendUID := func(body string, id *[16]byte) Appended {
		t.Helper()
		a, err := s.AppendUID("Work", strings.NewReader(body), AppendOptions{EnvelopeID: id})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	if a := appendUID("Subject: one\r\n\r\n1\r\n", envID); a.UIDValidity != first || a.UID != 1 || a.Duplicate {
		t.Fatalf("first append: %+v, want UID 1 in UIDVALIDITY %d", a, first)
	}
	if a := appendUID("Subject: one\r\n\r\n1\r\n", envID); a.UIDValidity != first || a.UID != 1 || !a.Duplicate {
		t.Fatalf("repeated envelope: %+v, want the duplicate UID 1 in UIDVALIDITY %d", a, first)
	}

	if err := s.RenameMailbox("Work", "Old"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	second := mustStatus(t, s, "Work").UIDValidity
	if second == first {
		t.Fatalf("the new Work has the old one's UIDVALIDITY %d", first)
	}
	if a := appendUID("Subject: two\r\n\r\n2\r\n", nil); a.UIDValidity != second || a.UID != 1 || a.Duplicate {
		t.Fatalf("append to the new Work: %+v, want UID 1 in UIDVALIDITY %d", a, second)
	}
	// The envelope is in Old now: a duplicate here, with no message of
	// this mailbox to name.
	if a := appendUID("Subject: one\r\n\r\n1\r\n", envID); a.UIDValidity != second || a.UID != 0 || !a.Duplicate {
		t.Fatalf("envelope stored in Old, appended to the new Work: %+v, want a duplicate with UID 0 in UIDVALIDITY %d", a, second)
	}
	if st := mustStatus(t, s, "Work"); st.Messages != 1 {
		t.Fatalf("the new Work has %d messages, want 1", st.Messages)
	}
}

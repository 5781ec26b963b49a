package imapd

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/mailbox"
)

// A session whose selected mailbox another session renames or deletes
// (and perhaps creates again under the same name) is ended with a BYE at
// its next command that addresses messages: its UIDs belong to the
// mailbox it selected, so they must not reach the one that has the name
// now, nor the renamed one, which the session no longer knows by name.

// addressingCommands are the commands that address the selected mailbox's
// messages, with UIDs 1 to 3 and sequence numbers 1 to 3 meaning the same.
var addressingCommands = []string{
	`STORE 1:3 +FLAGS (\Flagged)`,
	`UID STORE 1:3 -FLAGS.SILENT (\Deleted)`,
	`STORE 1:3 (UNCHANGEDSINCE 1000000) FLAGS (\Answered)`,
	`EXPUNGE`,
	`UID EXPUNGE 1:3`,
	`CLOSE`,
	`COPY 1:3 Archive`,
	`UID COPY 1:3 Archive`,
	`MOVE 1:3 Archive`,
	`UID MOVE 1:3 Archive`,
	`FETCH 1:3 (FLAGS BODY[])`,
	`UID FETCH 1:3 (BODY.PEEK[TEXT])`,
	`SEARCH ALL`,
	`UID SEARCH SUBJECT w`,
	`UID SORT (SUBJECT) UTF-8 ALL`,
	`THREAD REFERENCES UTF-8 ALL`,
}

// replacements are what the other session does to the selected mailbox
// Work, whose messages it first makes sure to differ from the new ones.
var replacements = []struct {
	name     string
	commands []string
}{
	{"rename and create", []string{"RENAME Work Old", "CREATE Work"}},
	{"delete and create", []string{"DELETE Work", "CREATE Work"}},
	{"rename", []string{"RENAME Work Old"}},
}

// fillMailbox appends three messages to name with subjects prefix1 to
// prefix3, the first flagged \Deleted, so that an EXPUNGE would remove it.
func fillMailbox(t *testing.T, st *mailbox.Store, name, prefix string) {
	t.Helper()
	for i := 1; i <= 3; i++ {
		var flags []string
		if i == 1 {
			flags = []string{mailbox.FlagDeleted}
		}
		msg := testMessage(fmt.Sprintf("%s%d", prefix, i), 100)
		if _, _, err := st.Append(name, bytes.NewReader(msg), mailbox.AppendOptions{Flags: flags}); err != nil {
			t.Fatal(err)
		}
	}
}

// storeSnapshot is every mailbox of a store with its UIDVALIDITY and
// counters, and its messages with their flags, MODSEQs, subjects and the
// SHA-256 of their bodies.
func storeSnapshot(t *testing.T, st *mailbox.Store) map[string][]string {
	t.Helper()
	boxes, err := st.Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, mb := range boxes {
		status, err := st.Status(mb.Name)
		if err != nil {
			t.Fatal(err)
		}
		lines := []string{fmt.Sprintf("%+v", status)}
		msgs, err := st.Messages(mb.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			body := readStored(t, st, mb.Name, m.UID)
			_, subject, _ := bytes.Cut(body, []byte("Subject: "))
			subject, _, _ = bytes.Cut(subject, []byte("\r\n"))
			lines = append(lines, fmt.Sprintf("%d %v %d %s %x", m.UID, m.Flags, m.ModSeq, subject, sha256.Sum256(body)))
		}
		out[mb.Name] = lines
	}
	return out
}

func readStored(t *testing.T, st *mailbox.Store, name string, uid uint32) []byte {
	t.Helper()
	r, err := st.OpenMessage(name, uid)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// untilClosed reads the response lines to the command tagged tag until
// the server closes the connection, or until the tagged response ends the
// command; it fails if neither has come within 10 s.
func (r *rawConn) untilClosed(tag string) (lines []string, closed bool) {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		l, err := r.br.ReadString('\n')
		if errors.Is(err, io.EOF) && l == "" {
			return lines, true
		}
		if err != nil {
			r.t.Fatalf("read: %v (after %q, %q)", err, lines, l)
		}
		lines = append(lines, strings.TrimSuffix(l, "\r\n"))
		if strings.HasPrefix(l, tag+" ") {
			return lines, false
		}
	}
}

// replacedSetup returns a session a with Work selected, whose three
// messages are w1 to w3, after another session has run commands; a
// mailbox Work created by them gets three messages n1 to n3.
func replacedSetup(t *testing.T, e *testEnv, commands []string) *rawConn {
	t.Helper()
	if err := e.store.CreateMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	fillMailbox(t, e.store, "Work", "w")
	selected := uidValidity(t, e.store, "Work")
	a, b := dialRaw(t, e.addr), dialRaw(t, e.addr)
	a.login()
	b.login()
	a.open("a1 SELECT Work")
	for i, cmd := range commands {
		tag := fmt.Sprintf("b%d", i+1)
		b.expect(tag+" "+cmd, tag+" OK "+strings.Fields(cmd)[0]+" completed")
	}
	if st, err := e.store.Status("Work"); err == nil && st.UIDValidity != selected {
		fillMailbox(t, e.store, "Work", "n")
	}
	b.expect("b9 LOGOUT", "* BYE Logging out", "b9 OK LOGOUT completed")
	return a
}

func TestReplacedSelectedMailboxEndsTheSession(t *testing.T) {
	for _, r := range replacements {
		for _, cmd := range addressingCommands {
			t.Run(r.name+"/"+cmd, func(t *testing.T) {
				e := newEnv(t)
				a := replacedSetup(t, e, r.commands)
				before := storeSnapshot(t, e.store)
				a.send("a2 " + cmd)
				got, closed := a.untilClosed("a2")
				if strings.Contains(cmd, "UNCHANGEDSINCE") && len(got) > 0 && strings.HasPrefix(got[0], "* OK [HIGHESTMODSEQ ") {
					got = got[1:] // CONDSTORE enabled by the command (RFC 7162 3.1)
				}
				if want := []string{"* BYE " + byeReplaced}; !closed || !reflect.DeepEqual(got, want) {
					t.Errorf("%s after %s: %q (closed: %v), want %q and the connection closed", cmd, r.name, got, closed, want)
				}
				if after := storeSnapshot(t, e.store); !reflect.DeepEqual(after, before) {
					t.Errorf("%s after %s changed the store:\nbefore %q\nafter  %q", cmd, r.name, before, after)
				}
			})
		}
	}
}

// Renaming another mailbox, or the selected one away and back, leaves
// the session working on the mailbox it selected.
func TestRenamingOtherMailboxesKeepsTheSession(t *testing.T) {
	for _, cmd := range addressingCommands {
		t.Run(cmd, func(t *testing.T) {
			e := newEnv(t)
			a := replacedSetup(t, e, []string{"RENAME Junk Spam", "RENAME Work Away", "RENAME Away Work"})
			a.send("a2 " + cmd)
			if got := a.until("a2 "); !strings.HasPrefix(got[len(got)-1], "a2 OK ") || containsLine(got, "* BYE "+byeReplaced) {
				t.Fatalf("%s: %q, want it to complete", cmd, got)
			}
			a.expect("a3 NOOP", "a3 OK NOOP completed")
		})
	}
}

// go-imap's client, as a mail client would use it, hears the BYE and sees
// the connection end; the mailbox it selected is unchanged under its new
// name, and the new one of its name has its own messages.
func TestClientHearsByeWhenSelectedMailboxReplaced(t *testing.T) {
	e := newEnv(t)
	if err := e.store.CreateMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	fillMailbox(t, e.store, "Work", "w")
	c := e.dial(nil)
	if _, err := c.Select("Work", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	other := e.dial(nil)
	if err := other.Rename("Work", "Old", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := other.Create("Work", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	fillMailbox(t, e.store, "Work", "n")
	before := storeSnapshot(t, e.store)
	_, err := c.Store(imap.UIDSetNum(1, 2, 3), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, nil).Collect()
	if err == nil {
		t.Fatal("UID STORE in the replaced mailbox succeeded")
	}
	select {
	case <-c.Closed():
	case <-time.After(10 * time.Second):
		t.Fatal("connection still open 10 s after the BYE")
	}
	if after := storeSnapshot(t, e.store); !reflect.DeepEqual(after, before) {
		t.Errorf("UID STORE changed the store:\nbefore %q\nafter  %q", before, after)
	}
	if st, err := e.store.Status("Old"); err != nil || st.Messages != 3 {
		t.Errorf("Old: %+v, %v; want the 3 messages selected", st, err)
	}
}

// A session whose selected mailbox was replaced is never shown the
// messages of the new mailbox of that name. Here it appends to the name,
// so to the new mailbox: the APPEND is answered with the new mailbox's
// UIDVALIDITY, and the client is told nothing of the message, which is
// not in the mailbox it selected. The next FETCH ends the session.
func TestReplacedSelectedMailboxShowsNoneOfTheNewOnesMessages(t *testing.T) {
	e := newEnv(t)
	a := replacedSetup(t, e, []string{"RENAME Work Old", "CREATE Work"})
	msg := testMessage("n4", 10)
	a.sendRaw(fmt.Sprintf("a2 APPEND Work {%d+}\r\n%s\r\n", len(msg), msg))
	a.check("APPEND to the new Work", a.until("a2 "), []string{
		fmt.Sprintf("a2 OK [APPENDUID %d 4] APPEND completed", uidValidity(t, e.store, "Work")),
	})
	a.send("a3 FETCH 1:* (FLAGS)")
	if got, closed := a.untilClosed("a3"); !closed || !reflect.DeepEqual(got, []string{"* BYE " + byeReplaced}) {
		t.Errorf("FETCH: %q (closed: %v), want the BYE and the connection closed", got, closed)
	}
}

package imapd

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
)

// expect sends one command and checks every response line up to and
// including the tagged one, in order. A wanted line starting with "~" is a
// regular expression matched against the whole line.
func (r *rawConn) expect(cmd string, want ...string) []string {
	r.t.Helper()
	tag := strings.Fields(cmd)[0]
	r.send(cmd)
	got := r.until(tag + " ")
	r.check(cmd, got, want)
	return got
}

// expectLines reads len(want) lines (unsolicited responses) and checks them.
func (r *rawConn) expectLines(what string, want ...string) {
	r.t.Helper()
	got := make([]string, len(want))
	for i := range want {
		got[i] = r.line()
	}
	r.check(what, got, want)
}

func (r *rawConn) check(what string, got, want []string) {
	r.t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		if w, isRE := strings.CutPrefix(want[i], "~"); isRE {
			ok = regexp.MustCompile("^(?:" + w + ")$").MatchString(got[i])
		} else {
			ok = got[i] == want[i]
		}
	}
	if !ok {
		r.t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func (r *rawConn) login() {
	r.t.Helper()
	r.expect(`L LOGIN `+testUser+` "`+testPass+`"`, `~L OK \[CAPABILITY IMAP4rev1 ID .*\] Logged in`)
}

func uidValidity(t *testing.T, st *mailbox.Store, name string) uint32 {
	t.Helper()
	s, err := st.Status(name)
	if err != nil {
		t.Fatal(err)
	}
	return s.UIDValidity
}

func selectLines(exists int, uv uint32, uidNext int, tag, access string) []string {
	return []string{
		fmt.Sprintf("* %d EXISTS", exists), "* 0 RECENT",
		fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", uv),
		fmt.Sprintf("* OK [UIDNEXT %d] Predicted next UID", uidNext),
		`* FLAGS (\Seen \Answered \Flagged \Deleted \Draft)`,
		access,
		highestModSeqLine,
	}
}

// highestModSeqLine matches the HIGHESTMODSEQ response of SELECT and
// EXAMINE (RFC 7162 3.1.2.1).
const highestModSeqLine = `~\* OK \[HIGHESTMODSEQ \d+\] Highest mod-sequence`

// Three sessions on INBOX: A changes it, B idles, C has it read-only and
// polls. Each sees every change, correctly numbered, at the moments the
// protocol allows; a new message is recent for the first read-write
// session told of it; a new keyword is announced before a FETCH carries
// it; C can fetch a message A expunged until C is told.
func TestProtoSessionsShareMailbox(t *testing.T) {
	e := newEnv(t)
	uv := uidValidity(t, e.store, "INBOX")
	a, b, c := dialRaw(t, e.addr), dialRaw(t, e.addr), dialRaw(t, e.addr)
	for _, r := range []*rawConn{a, b, c} {
		r.login()
	}
	perm := `* OK [PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft \*)] Permanent flags`
	a.expect("a1 SELECT INBOX", append(selectLines(0, uv, 1, "a1", perm), "a1 OK [READ-WRITE] SELECT completed")...)
	b.expect("b1 SELECT INBOX", append(selectLines(0, uv, 1, "b1", perm), "b1 OK [READ-WRITE] SELECT completed")...)
	c.expect("c1 EXAMINE INBOX", append(selectLines(0, uv, 1, "c1", "* OK [PERMANENTFLAGS ()] Permanent flags"), "c1 OK [READ-ONLY] EXAMINE completed")...)

	msg := "Subject: one\r\n\r\nhello\r\n"
	a.sendRaw(fmt.Sprintf("a2 APPEND INBOX {%d+}\r\n%s\r\n", len(msg), msg))
	a.check("APPEND", a.until("a2 "), []string{"* 1 EXISTS", "* 1 RECENT", fmt.Sprintf("a2 OK [APPENDUID %d 1] APPEND completed", uv)})
	// B is told at once when it enters IDLE; A claimed the message.
	b.send("b2 IDLE")
	b.expectLines("IDLE", "+ idling", "* 1 EXISTS", "* 0 RECENT")
	if _, _, err := e.store.Append("INBOX", strings.NewReader(msg), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err) // a delivery, as the node makes it
	}
	b.expectLines("delivery during IDLE", "* 2 EXISTS", "* 1 RECENT")
	// A's own change is reported once, by the STORE itself, after the
	// keyword it creates.
	flags := `* FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Work)`
	a.expect("a3 STORE 1 +FLAGS (\\Seen $Work)", flags,
		`* OK [PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft $Work \*)] Flags permitted`,
		`* 1 FETCH (UID 1 FLAGS ($Work \Seen \Recent))`, "* 2 EXISTS", "* 1 RECENT", "a3 OK STORE completed")
	b.expectLines("flags during IDLE", flags,
		`* OK [PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft $Work \*)] Flags permitted`,
		`* 1 FETCH (UID 1 FLAGS ($Work \Seen))`)
	// C was told of both messages once both were claimed; one EXISTS.
	c.expect("c2 NOOP", flags, "* 2 EXISTS", "* 0 RECENT", `* 1 FETCH (UID 1 FLAGS ($Work \Seen))`, "c2 OK NOOP completed")

	a.expect("a4 STORE 1 +FLAGS.SILENT (\\Deleted)", "a4 OK STORE completed")
	b.expectLines("flags during IDLE", `* 1 FETCH (UID 1 FLAGS ($Work \Deleted \Seen))`)
	a.expect("a5 EXPUNGE", "* 1 EXPUNGE", "a5 OK EXPUNGE completed")
	b.expectLines("EXPUNGE during IDLE", "* 1 EXPUNGE")
	b.send("DONE")
	b.expectLines("IDLE end", "b2 OK IDLE completed")
	// RFC 9051 7.5.1: no EXPUNGE during FETCH by sequence number; until the
	// next NOOP brings it, message 1 is still there for C (RFC 2180
	// 4.1.1), followed by its pending flag update.
	c.expect("c3 FETCH 1:* (FLAGS)", `* 1 FETCH (FLAGS ($Work \Deleted \Seen))`, `* 2 FETCH (FLAGS ())`,
		`* 1 FETCH (UID 1 FLAGS ($Work \Deleted \Seen))`, "c3 OK FETCH completed")
	c.expect("c4 NOOP", "* 1 EXPUNGE", "c4 OK NOOP completed")
	c.expect("c5 FETCH 1:* (UID FLAGS)", `* 1 FETCH (UID 2 FLAGS ())`, "c5 OK FETCH completed")
	c.expect("c6 STORE 1 +FLAGS (\\Seen)", `~c6 NO .*`)
	b.expect("b3 UID FETCH 1:* (FLAGS)", `* 1 FETCH (UID 2 FLAGS (\Recent))`, "b3 OK UID FETCH completed")
	a.expect("a6 LOGOUT", "* BYE Logging out", "a6 OK LOGOUT completed")
}

// UIDVALIDITY, UIDNEXT, flags and keywords survive a restart; UIDNEXT does
// not go back after the last message is expunged.
func TestProtoRestartKeepsUIDsAndFlags(t *testing.T) {
	e := newEnv(t)
	uv := uidValidity(t, e.store, "INBOX")
	r := dialRaw(t, e.addr)
	r.login()
	for i := 1; i <= 3; i++ {
		m := fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i)
		r.sendRaw(fmt.Sprintf("a%d APPEND INBOX (\\Flagged $Label%d) {%d+}\r\n%s\r\n", i, i, len(m), m))
		r.until(fmt.Sprintf("a%d OK", i))
	}
	r.expect("b1 SELECT INBOX", "* 3 EXISTS", "* 3 RECENT", "* OK [UNSEEN 1] First unseen message",
		fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", uv), "* OK [UIDNEXT 4] Predicted next UID", `~.*`, `~.*`, highestModSeqLine, `~b1 OK .*`)
	r.expect("b2 STORE 3 +FLAGS.SILENT (\\Deleted)", "b2 OK STORE completed")
	r.expect("b3 CLOSE", "b3 OK CLOSE completed")
	e.stop()
	e.start()
	r = dialRaw(t, e.addr)
	r.login()
	// The claim of b1 survives the restart: nothing is recent any more.
	perm := `* OK [PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft $Label1 $Label2 \*)] Permanent flags`
	r.expect("c1 SELECT INBOX", "* 2 EXISTS", "* 0 RECENT", "* OK [UNSEEN 1] First unseen message",
		fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", uv), "* OK [UIDNEXT 4] Predicted next UID", `~.*`, perm, highestModSeqLine, `c1 OK [READ-WRITE] SELECT completed`)
	r.expect("c2 FETCH 1:* (UID FLAGS)", `* 1 FETCH (UID 1 FLAGS ($Label1 \Flagged))`, `* 2 FETCH (UID 2 FLAGS ($Label2 \Flagged))`, "c2 OK FETCH completed")
	r.expect("c3 STATUS Archive (UIDVALIDITY)", fmt.Sprintf(`* STATUS "Archive" (UIDVALIDITY %d)`, uidValidity(t, e.store, "Archive")), "c3 OK STATUS completed")
}

// MOVE, COPY and their UIDPLUS codes; UNSELECT and CLOSE.
func TestProtoMoveCopy(t *testing.T) {
	e := newEnv(t)
	inbox, archive, trash := uidValidity(t, e.store, "INBOX"), uidValidity(t, e.store, "Archive"), uidValidity(t, e.store, "Trash")
	r := dialRaw(t, e.addr)
	r.login()
	for i := 1; i <= 3; i++ {
		if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage(fmt.Sprint("m", i), 10)), mailbox.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	r.expect("a1 SELECT INBOX", "* 3 EXISTS", `~.*`, `~.*`, fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", inbox), `~.*`, `~.*`, `~.*`, highestModSeqLine, `~a1 OK .*`)
	r.expect("a2 UID MOVE 2 Archive", fmt.Sprintf("* OK [COPYUID %d 2 1] COPY completed", archive), "* 2 EXPUNGE", "a2 OK UID MOVE completed")
	r.expect("a3 COPY 1:2 Trash", fmt.Sprintf("a3 OK [COPYUID %d 1,3 1:2] COPY completed", trash))
	r.expect("a4 MOVE 1 Nowhere", "~a4 NO \\[TRYCREATE\\] .*")
	r.expect("a5 STORE 1 +FLAGS.SILENT (\\Deleted)", "a5 OK STORE completed")
	r.expect("a6 UNSELECT", "a6 OK UNSELECT completed")
	r.expect("a7 STATUS INBOX (MESSAGES UIDNEXT)", `* STATUS INBOX (MESSAGES 2 UIDNEXT 4)`, "a7 OK STATUS completed")
	r.expect("a8 SELECT INBOX", `~.*`, `~.*`, `~.*`, `~.*`, `~.*`, `~.*`, `~.*`, highestModSeqLine, `~a8 OK .*`)
	r.expect("a9 CLOSE", "a9 OK CLOSE completed")
	r.expect("a10 STATUS INBOX (MESSAGES)", `* STATUS INBOX (MESSAGES 1)`, "a10 OK STATUS completed")
	r.expect("a11 FETCH 1 (FLAGS)", "~a11 BAD .*")
}

package imapd

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
)

// Scenarios of several sessions on one mailbox over real sockets: who sees
// \Recent, when keywords are announced, what a session may still do with
// a message another session expunged. Each waits on what the server says,
// never on time.

// deliver stores a message in INBOX as the node's delivery does.
func deliver(t *testing.T, e *testEnv, subject string, size int) uint32 {
	t.Helper()
	m, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage(subject, size)), mailbox.AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m.UID
}

// noopUntil sends NOOPs until one answers with the line want, and returns
// that answer's lines. The hub learns of a delivery from the store's feed,
// so a session hears of it a moment after the store has it.
func (r *rawConn) noopUntil(tag, want string) []string {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		t := fmt.Sprintf("%s%d", tag, i)
		r.send(t + " NOOP")
		got := r.until(t + " ")
		if slices.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no %q after NOOPs for 10s (last: %q)", want, got)
		}
	}
}

// after returns the line that follows want in lines, or "".
func after(lines []string, want string) string {
	i := slices.Index(lines, want)
	if i < 0 || i+1 >= len(lines) {
		return ""
	}
	return lines[i+1]
}

func TestRecentBelongsToOneSession(t *testing.T) {
	e := newEnv(t)
	deliver(t, e, "one", 10)
	deliver(t, e, "two", 10)
	a, b, x, c := dialRaw(t, e.addr), dialRaw(t, e.addr), dialRaw(t, e.addr), dialRaw(t, e.addr)
	for _, r := range []*rawConn{a, b, x, c} {
		r.login()
	}
	c.expect("c1 STATUS INBOX (MESSAGES RECENT)", "* STATUS INBOX (MESSAGES 2 RECENT 2)", "c1 OK STATUS completed")
	// The first SELECT claims both; a later SELECT, or EXAMINE, sees none.
	if got := a.open("a1 SELECT INBOX"); got[1] != "* 2 RECENT" {
		t.Fatalf("first SELECT: %q", got)
	}
	a.expect("a2 FETCH 1:* (FLAGS)", `* 1 FETCH (FLAGS (\Recent))`, `* 2 FETCH (FLAGS (\Recent))`, "a2 OK FETCH completed")
	if got := b.open("b1 SELECT INBOX"); got[1] != "* 0 RECENT" {
		t.Fatalf("second SELECT: %q", got)
	}
	if got := x.open("x1 EXAMINE INBOX"); got[1] != "* 0 RECENT" {
		t.Fatalf("EXAMINE: %q", got)
	}
	c.expect("c2 STATUS INBOX (RECENT)", "* STATUS INBOX (RECENT 0)", "c2 OK STATUS completed")

	// A delivery no session has heard of is recent for STATUS. EXAMINE
	// shows it as recent without taking it; B, the first to be told in
	// read-write, claims it; A is told later and does not get it.
	deliver(t, e, "three", 10)
	c.expect("c3 STATUS INBOX (RECENT)", "* STATUS INBOX (RECENT 1)", "c3 OK STATUS completed")
	if got := x.noopUntil("x2n", "* 3 EXISTS"); after(got, "* 3 EXISTS") != "* 1 RECENT" {
		t.Fatalf("EXAMINE told of the delivery: %q", got)
	}
	c.expect("c4 STATUS INBOX (RECENT)", "* STATUS INBOX (RECENT 1)", "c4 OK STATUS completed")
	b.expect("b2 NOOP", "* 3 EXISTS", "* 1 RECENT", "b2 OK NOOP completed")
	c.expect("c5 STATUS INBOX (RECENT)", "* STATUS INBOX (RECENT 0)", "c5 OK STATUS completed")
	a.expect("a3 NOOP", "* 3 EXISTS", "* 2 RECENT", "a3 OK NOOP completed")
	x.expect("x3 FETCH 3 (FLAGS)", `* 3 FETCH (FLAGS (\Recent))`, "x3 OK FETCH completed")

	// SEARCH RECENT, NEW (recent and unseen) and OLD follow the session.
	a.expect("a4 STORE 1 +FLAGS.SILENT (\\Seen)", "a4 OK STORE completed")
	a.expect("a5 SEARCH RECENT", "* SEARCH 1 2", "a5 OK SEARCH completed")
	a.expect("a6 SEARCH NEW", "* SEARCH 2", "a6 OK SEARCH completed")
	a.expect("a7 SEARCH OLD", "* SEARCH 3", "a7 OK SEARCH completed")
	b.expect("b3 SEARCH RECENT", "* SEARCH 3", `* 1 FETCH (UID 1 FLAGS (\Seen))`, "b3 OK SEARCH completed")
	b.expect("b4 UID SEARCH OLD", "* SEARCH 1 2", "b4 OK UID SEARCH completed")

	// \Recent can be neither stored nor taken away.
	b.expect("b5 STORE 3 FLAGS (\\Flagged)", `* 3 FETCH (UID 3 FLAGS (\Flagged \Recent))`, "b5 OK STORE completed")
	b.expect("b6 STORE 2 +FLAGS (\\Recent)", `* 2 FETCH (UID 2 FLAGS ())`, "b6 OK STORE completed")
	a.expect("a8 FETCH 2:3 (FLAGS)", `* 2 FETCH (FLAGS (\Recent))`, `* 3 FETCH (FLAGS (\Flagged))`,
		`* 3 FETCH (UID 3 FLAGS (\Flagged))`, "a8 OK FETCH completed")

	// Once B has closed, message 3 is recent for nobody, also after a
	// restart; a message delivered while the server is down is recent for
	// the first session after it.
	b.expect("b7 LOGOUT", "* BYE Logging out", "b7 OK LOGOUT completed")
	d := dialRaw(t, e.addr)
	d.login()
	if got := d.open("d1 SELECT INBOX"); got[1] != "* 0 RECENT" {
		t.Fatalf("SELECT after the claimer left: %q", got)
	}
	e.stop()
	deliverWhileDown := func() {
		st, err := mailbox.Open(e.dir, mailbox.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, _, err := st.Append("INBOX", bytes.NewReader(testMessage("four", 10)), mailbox.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	deliverWhileDown()
	e.start()
	r := dialRaw(t, e.addr)
	r.login()
	r.expect("r1 STATUS INBOX (MESSAGES RECENT)", "* STATUS INBOX (MESSAGES 4 RECENT 1)", "r1 OK STATUS completed")
	if got := r.open("r2 SELECT INBOX"); got[1] != "* 1 RECENT" {
		t.Fatalf("SELECT after restart: %q", got)
	}
	r.expect("r3 SEARCH RECENT", "* SEARCH 4", "r3 OK SEARCH completed")
}

func TestNewKeywordAnnouncedToEverySession(t *testing.T) {
	e := newEnv(t)
	deliver(t, e, "one", 10)
	a, b, x, idler := dialRaw(t, e.addr), dialRaw(t, e.addr), dialRaw(t, e.addr), dialRaw(t, e.addr)
	for _, r := range []*rawConn{a, b, x, idler} {
		r.login()
	}
	a.open("a1 SELECT INBOX")
	b.open("b1 SELECT INBOX")
	x.open("x1 EXAMINE INBOX")
	idler.open("i1 SELECT INBOX")
	idler.send("i2 IDLE")
	idler.expectLines("IDLE", "+ idling")

	flags1 := `* FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Label1)`
	perm1 := `* OK [PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft $Label1 \*)] Flags permitted`
	// The session that creates the keyword is told first, itself.
	a.expect("a2 STORE 1 +FLAGS ($Label1)", flags1, perm1, `* 1 FETCH (UID 1 FLAGS ($Label1 \Recent))`, "a2 OK STORE completed")
	idler.expectLines("IDLE", flags1, perm1, `* 1 FETCH (UID 1 FLAGS ($Label1))`)
	b.expect("b2 NOOP", flags1, perm1, `* 1 FETCH (UID 1 FLAGS ($Label1))`, "b2 OK NOOP completed")
	x.expect("x2 NOOP", flags1, `* 1 FETCH (UID 1 FLAGS ($Label1))`, "x2 OK NOOP completed")

	// A FETCH before the session polled still comes after the FLAGS.
	flags2 := `* FLAGS (\Seen \Answered \Flagged \Deleted \Draft $Label1 $Label2)`
	perm2 := `* OK [PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft $Label1 $Label2 \*)] Flags permitted`
	a.expect("a3 STORE 1 +FLAGS.SILENT ($Label2)", flags2, perm2, "a3 OK STORE completed")
	idler.expectLines("IDLE", flags2, perm2, `* 1 FETCH (UID 1 FLAGS ($Label1 $Label2))`)
	b.expect("b3 FETCH 1 (FLAGS)", flags2, perm2, `* 1 FETCH (FLAGS ($Label1 $Label2))`,
		`* 1 FETCH (UID 1 FLAGS ($Label1 $Label2))`, "b3 OK FETCH completed")
	idler.send("DONE")
	idler.expectLines("IDLE end", "i2 OK IDLE completed")

	// A new session is given every keyword in use.
	n := dialRaw(t, e.addr)
	n.login()
	sel := n.open("n1 SELECT INBOX")
	if !slices.Contains(sel, flags2) || !slices.Contains(sel, strings.Replace(perm2, "Flags permitted", "Permanent flags", 1)) {
		t.Fatalf("SELECT lists %q", sel)
	}
}

func TestFetchOfMessageExpungedByAnotherSession(t *testing.T) {
	e := newEnv(t)
	big := testMessage("big", 600<<10) // several chunks in the store
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(big), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	deliver(t, e, "small", 10)
	before := e.bodies()
	a, b := dialRaw(t, e.addr), dialRaw(t, e.addr)
	a.login()
	b.login()
	a.open("a1 SELECT INBOX")
	b.open("b1 SELECT INBOX")
	a.expect("a2 STORE 1 +FLAGS.SILENT (\\Deleted)", "a2 OK STORE completed")
	a.expect("a3 EXPUNGE", "* 1 EXPUNGE", "a3 OK EXPUNGE completed")

	// B has not been told: message 1 is still there, with its data.
	b.send("b2 FETCH 1 (FLAGS BODY.PEEK[])")
	head := fmt.Sprintf(`* 1 FETCH (FLAGS (\Deleted) BODY[] {%d}`, len(big))
	if l := b.line(); l != head {
		t.Fatalf("FETCH of the expunged message: %q, want %q", l, head)
	}
	got := make([]byte, len(big))
	if _, err := readFull(b, got); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("body of the expunged message differs (%v)", err)
	}
	b.check("FETCH end", b.until("b2 "), []string{")", `* 1 FETCH (UID 1 FLAGS (\Deleted))`, "b2 OK FETCH completed"})
	b.expect("b3 SEARCH DELETED", "* SEARCH 1", "b3 OK SEARCH completed")
	// It cannot change any more (RFC 2180 4.2).
	b.expect("b4 STORE 1 +FLAGS (\\Flagged)", `~b4 NO \[EXPUNGEISSUED\] .*`)
	b.expect("b5 STORE 1:2 +FLAGS (\\Flagged)", `* 2 FETCH (UID 2 FLAGS (\Flagged))`, `~b5 NO \[EXPUNGEISSUED\] .*`)
	b.expect("b6 STORE 1 +FLAGS.SILENT (\\Answered)", "b6 OK STORE completed")
	if _, err := e.store.OpenMessage("INBOX", 1); err != nil {
		t.Fatalf("the store dropped the message B still sees: %v", err)
	}

	// Told, B renumbers; then nobody needs the message and its body goes.
	b.expect("b7 NOOP", "* 1 EXPUNGE", "b7 OK NOOP completed")
	b.expect("b8 FETCH 1:* (UID)", "* 1 FETCH (UID 2)", "b8 OK FETCH completed")
	waitBodies(t, e, before-1)
}

func TestExpungedMessageReleasedWhenSessionLeaves(t *testing.T) {
	e := newEnv(t)
	deliver(t, e, "one", 300<<10)
	deliver(t, e, "two", 10)
	before := e.bodies()
	a, b := dialRaw(t, e.addr), dialRaw(t, e.addr)
	a.login()
	b.login()
	a.open("a1 SELECT INBOX")
	b.open("b1 SELECT INBOX")
	a.expect("a2 STORE 1:2 +FLAGS.SILENT (\\Deleted)", "a2 OK STORE completed")
	a.expect("a3 UID EXPUNGE 1", "* 1 EXPUNGE", "a3 OK UID EXPUNGE completed")
	b.expect("b2 FETCH 1 (UID RFC822.SIZE)", fmt.Sprintf("* 1 FETCH (UID 1 RFC822.SIZE %d)", len(testMessage("one", 300<<10))), `* 1 FETCH (UID 1 FLAGS (\Deleted))`, `* 2 FETCH (UID 2 FLAGS (\Deleted))`, "b2 OK FETCH completed")
	if e.bodies() != before {
		t.Fatal("the body went while B could still fetch it")
	}
	// B leaves without being told: nothing keeps the body any more.
	b.expect("b3 UNSELECT", "b3 OK UNSELECT completed")
	waitBodies(t, e, before-1)
	// A store that stops while a session still holds an expunged message
	// (as in a crash) leaves it retained on disk; opening sweeps it.
	b.open("b4 SELECT INBOX")
	a.expect("a4 EXPUNGE", "* 1 EXPUNGE", "a4 OK EXPUNGE completed")
	b.expect("b5 FETCH 1 (UID)", "* 1 FETCH (UID 2)", "b5 OK FETCH completed")
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	<-e.served
	e.srv = nil
	e.start()
	if n := e.bodies(); n != before-2 {
		t.Fatalf("%d bodies after the restart sweep, want %d", n, before-2)
	}
	r := dialRaw(t, e.addr)
	r.login()
	r.expect("r1 STATUS INBOX (MESSAGES)", "* STATUS INBOX (MESSAGES 0)", "r1 OK STATUS completed")
}

func TestCopyOfMessageExpungedByAnotherSession(t *testing.T) {
	e := newEnv(t)
	deliver(t, e, "keep me", 10)
	a, b := dialRaw(t, e.addr), dialRaw(t, e.addr)
	a.login()
	b.login()
	archive := uidValidity(t, e.store, "Archive")
	a.open("a1 SELECT INBOX")
	b.open("b1 SELECT INBOX")
	a.expect("a2 STORE 1 +FLAGS.SILENT (\\Deleted)", "a2 OK STORE completed")
	a.expect("a3 EXPUNGE", "* 1 EXPUNGE", "a3 OK EXPUNGE completed")
	// B copies what it still sees (RFC 2180 4.4.2), then learns it is gone.
	b.expect("b2 COPY 1 Archive", `* 1 FETCH (UID 1 FLAGS (\Deleted))`, "* 1 EXPUNGE", fmt.Sprintf("b2 OK [COPYUID %d 1 1] COPY completed", archive))
	b.expect("b3 STATUS Archive (MESSAGES)", `* STATUS "Archive" (MESSAGES 1)`, "b3 OK STATUS completed")
	r, err := e.store.OpenMessage("Archive", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(r); err != nil || !bytes.Equal(got.Bytes(), testMessage("keep me", 10)) {
		t.Fatalf("copied body differs (%v)", err)
	}
}

// waitBodies waits until the store holds want bodies: the hub releases an
// expunged message on its own goroutine once no session needs it.
func waitBodies(t *testing.T, e *testEnv, want int) {
	t.Helper()
	testkit.WaitFor(t, 10*time.Second, fmt.Sprintf("%d bodies in the store", want), func() bool { return e.bodies() == want })
}

// bodies is the number of message bodies in e's store.
func (e *testEnv) bodies() int {
	e.t.Helper()
	n, err := e.store.CountBodies()
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// open sends a SELECT or EXAMINE and returns its responses, which must
// end in OK.
func (r *rawConn) open(cmd string) []string {
	r.t.Helper()
	tag := strings.Fields(cmd)[0]
	r.send(cmd)
	got := r.until(tag + " ")
	if !strings.HasPrefix(got[len(got)-1], tag+" OK") {
		r.t.Fatalf("%s: %q", cmd, got)
	}
	return got
}

// "*" in a UID set is the last message the session knows (RFC 3501
// 6.4.8), not a later one it has not been told of, nor one it was told
// is expunged.
func TestUIDStarIsTheSessionsLastMessage(t *testing.T) {
	e := newEnv(t)
	deliver(t, e, "one", 10)
	deliver(t, e, "two", 10)
	a, b := dialRaw(t, e.addr), dialRaw(t, e.addr)
	a.login()
	b.login()
	a.open("a1 SELECT INBOX")
	b.open("b1 SELECT INBOX")
	a.expect("a2 STORE 2 +FLAGS.SILENT (\\Deleted)", "a2 OK STORE completed")
	a.expect("a3 EXPUNGE", "* 2 EXPUNGE", "a3 OK EXPUNGE completed")
	a.expect("a4 UID FETCH 3:* (FLAGS)", `* 1 FETCH (UID 1 FLAGS (\Recent))`, "a4 OK UID FETCH completed")
	deliver(t, e, "three", 10)
	b.noopUntil("b2n", "* 2 EXISTS") // the hub has it (B sees EXPUNGE 2, EXISTS 2); A has not been told
	a.send("a6 UID FETCH 4:* (UID)")
	got := a.until("a6 ")
	if got[0] != "* 1 FETCH (UID 1)" {
		t.Fatalf("UID FETCH 4:* before EXISTS: %q", got)
	}
}

// ENABLE of IMAP4rev2, which the server does not advertise, is ignored
// (RFC 5161): the session stays IMAP4rev1 and keeps seeing RECENT.
// UTF8=ACCEPT, which it advertises, is enabled.
func TestEnableOnlyWhatIsOffered(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("new", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	r := dialRaw(t, e.addr)
	r.login()
	r.send("e ENABLE IMAP4rev2 utf8=accept")
	got := r.until("e ")
	if !slices.Contains(got, "* ENABLED utf8=accept") && !slices.Contains(got, "* ENABLED UTF8=ACCEPT") {
		t.Errorf("ENABLE: %q; want only UTF8=ACCEPT enabled", got)
	}
	for _, l := range got {
		if strings.Contains(strings.ToUpper(l), "IMAP4REV2") {
			t.Errorf("ENABLE answered %q: IMAP4rev2 is not offered", l)
		}
	}
	r.send("s SELECT INBOX")
	if got := r.until("s "); !slices.Contains(got, "* 1 RECENT") {
		t.Errorf("SELECT after ENABLE IMAP4rev2: %q; want * 1 RECENT", got)
	}
}

// A mailbox created with the name of one another session has selected,
// renamed away or deleted since, is a mailbox of its own: SELECT shows its
// messages and UIDVALIDITY, not the old one's, and hears of what is added
// to it.
func TestSelectNewMailboxWithTheNameOfOneRenamed(t *testing.T) {
	e := newEnv(t)
	if err := e.store.CreateMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, _, err := e.store.Append("Work", bytes.NewReader(testMessage(fmt.Sprintf("w%d", i), 10)), mailbox.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := dialRaw(t, e.addr), dialRaw(t, e.addr)
	a.login()
	b.login()
	a.open("a1 SELECT Work")
	b.expect("b1 RENAME Work Old", "b1 OK RENAME completed")
	b.expect("b2 CREATE Work", "b2 OK CREATE completed")
	uv := uidValidity(t, e.store, "Work")
	got := b.open("b3 SELECT Work")
	if !slices.Contains(got, "* 0 EXISTS") || !slices.Contains(got, fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", uv)) {
		t.Fatalf("SELECT of the new Work: %q, want 0 EXISTS and UIDVALIDITY %d", got, uv)
	}
	if _, _, err := e.store.Append("Work", bytes.NewReader(testMessage("new", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	b.noopUntil("b4n", "* 1 EXISTS")
	b.expect("b5 FETCH 1:* (UID)", "* 1 FETCH (UID 1)", "b5 OK FETCH completed")

	// So is one created again after a DELETE, while b still has the
	// deleted one selected.
	a.expect("a2 DELETE Work", "a2 OK DELETE completed")
	a.expect("a3 CREATE Work", "a3 OK CREATE completed")
	if _, _, err := e.store.Append("Work", bytes.NewReader(testMessage("again", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	got = a.open("a4 SELECT Work")
	if !slices.Contains(got, "* 1 EXISTS") || !slices.Contains(got, fmt.Sprintf("* OK [UIDVALIDITY %d] UIDs valid", uidValidity(t, e.store, "Work"))) {
		t.Fatalf("SELECT of Work created again: %q, want 1 EXISTS and its UIDVALIDITY", got)
	}
}

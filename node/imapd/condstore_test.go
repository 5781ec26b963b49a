package imapd

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// CONDSTORE and QRESYNC (RFC 7162) over real sockets, with a second
// session making the changes the first one must resynchronise.

// highestModSeq returns INBOX's HIGHESTMODSEQ as the store has it.
func highestModSeq(t *testing.T, e *testEnv) uint64 {
	t.Helper()
	st, err := e.store.Status("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	return st.HighestModSeq
}

func TestCondStoreFetchStoreSearch(t *testing.T) {
	e := newEnv(t)
	for _, s := range []string{"one", "two", "three"} {
		deliver(t, e, s, 10)
	}
	h := highestModSeq(t, e) // 1 at creation, one more per message: 4
	a, b := dialRaw(t, e.addr), dialRaw(t, e.addr)
	a.login()
	b.login()
	if got := a.open("a1 SELECT INBOX (CONDSTORE)"); !slices.Contains(got, fmt.Sprintf("* OK [HIGHESTMODSEQ %d] Highest mod-sequence", h)) {
		t.Fatalf("SELECT (CONDSTORE): %q", got)
	}
	a.expect("a2 FETCH 1:* (UID MODSEQ)",
		fmt.Sprintf("* 1 FETCH (UID 1 MODSEQ (%d))", h-2), fmt.Sprintf("* 2 FETCH (UID 2 MODSEQ (%d))", h-1),
		fmt.Sprintf("* 3 FETCH (UID 3 MODSEQ (%d))", h), "a2 OK FETCH completed")

	// Another session flags message 2: A hears of it with its MODSEQ.
	b.open("b1 SELECT INBOX")
	b.expect(`b2 STORE 2 +FLAGS (\Flagged)`, `* 2 FETCH (UID 2 FLAGS (\Flagged))`, "b2 OK STORE completed")
	a.noopUntil("a3n", fmt.Sprintf(`* 2 FETCH (UID 2 FLAGS (\Flagged \Recent) MODSEQ (%d))`, h+1))

	// CHANGEDSINCE returns only what changed, with MODSEQ unasked.
	a.expect(fmt.Sprintf("a4 FETCH 1:* (FLAGS) (CHANGEDSINCE %d)", h),
		fmt.Sprintf(`* 2 FETCH (FLAGS (\Flagged \Recent) MODSEQ (%d))`, h+1), "a4 OK FETCH completed")

	// A conditional STORE from what A knew before B's change: message 2
	// is left alone and named in MODIFIED, the others change.
	a.expect(fmt.Sprintf(`a5 STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS (\Seen)`, h),
		fmt.Sprintf(`* 1 FETCH (UID 1 FLAGS (\Seen \Recent) MODSEQ (%d))`, h+2),
		fmt.Sprintf(`* 3 FETCH (UID 3 FLAGS (\Seen \Recent) MODSEQ (%d))`, h+3),
		"a5 OK [MODIFIED 2] STORE completed")
	b.expect(`b3 FETCH 2 (FLAGS)`, `* 2 FETCH (FLAGS (\Flagged))`, `* 1 FETCH (UID 1 FLAGS (\Seen))`, `* 3 FETCH (UID 3 FLAGS (\Seen))`, "b3 OK FETCH completed")
	a.expect(fmt.Sprintf(`a6 UID STORE 2 (UNCHANGEDSINCE %d) +FLAGS (\Seen)`, h+1),
		fmt.Sprintf(`* 2 FETCH (UID 2 FLAGS (\Flagged \Seen \Recent) MODSEQ (%d))`, h+4), "a6 OK UID STORE completed")
	a.expect(`a7 UID STORE 2 (UNCHANGEDSINCE 0) -FLAGS (\Seen)`, "a7 OK [MODIFIED 2] UID STORE completed")

	// .SILENT still reports the new MODSEQ once CONDSTORE is on.
	a.expect(`a8 STORE 1 +FLAGS.SILENT (\Answered)`, fmt.Sprintf("* 1 FETCH (UID 1 MODSEQ (%d))", h+5), "a8 OK STORE completed")

	a.expect(fmt.Sprintf("a9 SEARCH MODSEQ %d", h+4), fmt.Sprintf("* SEARCH 1 2 (MODSEQ %d)", h+5), "a9 OK SEARCH completed")
	a.expect(fmt.Sprintf("a10 UID SEARCH RETURN (COUNT) MODSEQ %d", h+4), fmt.Sprintf(`* ESEARCH (TAG "a10") UID COUNT 2 MODSEQ %d`, h+5), "a10 OK UID SEARCH completed")
	a.expect(`a11 SEARCH MODSEQ "/flags/\\draft" all 1`, fmt.Sprintf("* SEARCH 1 2 3 (MODSEQ %d)", h+5), "a11 OK SEARCH completed")
	a.expect("a12 SEARCH MODSEQ 99999", "* SEARCH", "a12 OK SEARCH completed")
	a.expect("a13 STATUS Sent (HIGHESTMODSEQ)", `* STATUS "Sent" (HIGHESTMODSEQ 1)`, "a13 OK STATUS completed")

	// EXPUNGE's tagged OK carries the new HIGHESTMODSEQ.
	a.expect(`a14 STORE 3 +FLAGS.SILENT (\Deleted)`, fmt.Sprintf("* 3 FETCH (UID 3 MODSEQ (%d))", h+6), "a14 OK STORE completed")
	a.expect("a15 EXPUNGE", "* 3 EXPUNGE", fmt.Sprintf("a15 OK [HIGHESTMODSEQ %d] EXPUNGE completed", h+7))
	if got := highestModSeq(t, e); got != h+7 {
		t.Errorf("store HIGHESTMODSEQ %d, told %d", got, h+7)
	}
}

// Without CONDSTORE a session sees no MODSEQ anywhere; the first command
// that uses it, while a mailbox is selected, tells HIGHESTMODSEQ.
func TestCondStoreEnabledByFirstUse(t *testing.T) {
	e := newEnv(t)
	deliver(t, e, "one", 10)
	h := highestModSeq(t, e)
	a := dialRaw(t, e.addr)
	a.login()
	a.open("a1 SELECT INBOX")
	a.expect(`a2 STORE 1 +FLAGS (\Seen)`, `* 1 FETCH (UID 1 FLAGS (\Seen \Recent))`, "a2 OK STORE completed")
	a.expect("a3 FETCH 1 (MODSEQ)",
		fmt.Sprintf("* OK [HIGHESTMODSEQ %d] Highest mod-sequence", h+1),
		fmt.Sprintf("* 1 FETCH (MODSEQ (%d))", h+1), "a3 OK FETCH completed")
	a.expect(`a4 STORE 1 -FLAGS (\Seen)`, fmt.Sprintf(`* 1 FETCH (UID 1 FLAGS (\Recent) MODSEQ (%d))`, h+2), "a4 OK STORE completed")
	a.expect("a5 ENABLE CONDSTORE", "* ENABLED CONDSTORE", "a5 OK ENABLE completed")
}

// Bad CONDSTORE and QRESYNC arguments get a BAD that says what is wrong.
func TestCondStoreBadArguments(t *testing.T) {
	e := newEnv(t)
	deliver(t, e, "one", 10)
	a := dialRaw(t, e.addr)
	a.login()
	a.expect("a1 SELECT INBOX (QRESYNC (1 1))", "a1 BAD [CLIENTBUG] QRESYNC must be enabled first")
	a.expect("a2 SELECT INBOX (FOO)", "a2 BAD [CLIENTBUG] Unknown SELECT parameter")
	a.open("a3 SELECT INBOX")
	a.expect("a4 UID FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)", "a4 BAD [CLIENTBUG] VANISHED needs UID FETCH and QRESYNC enabled")
	a.expect("a5 FETCH 1 (FLAGS) (VANISHED)", "a5 BAD [CLIENTBUG] VANISHED needs CHANGEDSINCE")
	a.expect("a6 FETCH 1 (FLAGS) (CHANGEDSINCE x)", `~a6 BAD \[CLIENTBUG\] Syntax error: .*mod-sequence.*`)
	a.expect(`a7 STORE 1 (UNCHANGEDSINCE) +FLAGS (\Seen)`, `~a7 BAD \[CLIENTBUG\] Syntax error: .*`)
	a.expect("a8 SEARCH MODSEQ x", `a8 BAD [CLIENTBUG] SEARCH: MODSEQ "x" is not a mod-sequence`)
	a.expect("a9 SEARCH MODSEQ 99999999999999999999", `a9 BAD [CLIENTBUG] SEARCH: MODSEQ 99999999999999999999 is out of range`)
	a.expect("a10 NOOP", "a10 OK NOOP completed") // the session goes on
}

// A QRESYNC client reconnecting learns in its SELECT what vanished and what
// changed since it left; while selected it hears of expunges as VANISHED.
func TestQResyncSelect(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 5; i++ {
		deliver(t, e, fmt.Sprintf("m%d", i), 10)
	}
	uv := uidValidity(t, e.store, "INBOX")
	h := highestModSeq(t, e)

	b := dialRaw(t, e.addr)
	b.login()
	b.open("b1 SELECT INBOX")
	b.expect(`b2 STORE 2 +FLAGS.SILENT (\Flagged)`, "b2 OK STORE completed")
	b.expect(`b3 UID STORE 4 +FLAGS.SILENT (\Deleted)`, "b3 OK UID STORE completed")
	b.expect("b4 UID EXPUNGE 4", "* 4 EXPUNGE", "b4 OK UID EXPUNGE completed")
	deliver(t, e, "m6", 10)
	b.noopUntil("b5n", "* 5 EXISTS")

	a := dialRaw(t, e.addr)
	a.login()
	a.expect("a1 ENABLE QRESYNC", "* ENABLED QRESYNC", "a1 OK ENABLE completed")
	got := a.open(fmt.Sprintf("a2 SELECT INBOX (QRESYNC (%d %d 1:5))", uv, h))
	want := []string{
		"* VANISHED (EARLIER) 4",
		fmt.Sprintf(`* 2 FETCH (UID 2 FLAGS (\Flagged) MODSEQ (%d))`, h+1),
		`~\* 5 FETCH \(UID 6 FLAGS \(\) MODSEQ \(\d+\)\)`, // B's session claimed it as \Recent
	}
	a.check("resync after SELECT", got[len(got)-1-len(want):len(got)-1], want)

	// The same through UID FETCH (CHANGEDSINCE VANISHED).
	a.expect(fmt.Sprintf("a3 UID FETCH 1:5 (FLAGS) (CHANGEDSINCE %d VANISHED)", h),
		"* VANISHED (EARLIER) 4",
		fmt.Sprintf(`* 2 FETCH (UID 2 FLAGS (\Flagged) MODSEQ (%d))`, h+1), "a3 OK UID FETCH completed")

	// Another session's expunge is reported by UID.
	b.expect(`b6 STORE 1 +FLAGS.SILENT (\Deleted)`, "b6 OK STORE completed")
	b.expect("b7 EXPUNGE", "* 1 EXPUNGE", "b7 OK EXPUNGE completed")
	a.noopUntil("a4n", "* VANISHED 1")
	a.expect("a5 UID FETCH 1:* (UID) (CHANGEDSINCE 1 VANISHED)",
		"* VANISHED (EARLIER) 1,4", fmt.Sprintf("* 1 FETCH (UID 2 MODSEQ (%d))", h+1), "~.*UID 3 .*", "~.*UID 5 .*", "~.*UID 6 .*", "a5 OK UID FETCH completed")

	// A client that knew another UIDVALIDITY is told nothing extra.
	c := dialRaw(t, e.addr)
	c.login()
	c.expect("c1 ENABLE QRESYNC", "* ENABLED QRESYNC", "c1 OK ENABLE completed")
	for _, l := range c.open(fmt.Sprintf("c2 SELECT INBOX (QRESYNC (%d 1))", uv+1)) {
		if strings.Contains(l, "VANISHED") || strings.Contains(l, "FETCH") {
			t.Errorf("SELECT with a stale UIDVALIDITY answered %q", l)
		}
	}
}

// twoSelecting delivers one message and has two sessions select INBOX,
// with mode (say " (CONDSTORE)") after the SELECT; it returns the
// mailbox's HIGHESTMODSEQ before they do.
func twoSelecting(t *testing.T, mode string) (uint64, *rawConn, *rawConn) {
	e := newEnv(t)
	deliver(t, e, "one", 10)
	h := highestModSeq(t, e)
	a, b := dialRaw(t, e.addr), dialRaw(t, e.addr)
	a.login()
	b.login()
	a.open("a1 SELECT INBOX" + mode)
	b.open("b1 SELECT INBOX" + mode)
	return h, a, b
}

// A session's own STORE on a message another session changed before is
// answered with the message's state after both changes, and the older
// change queued for it is not sent afterwards: its client never goes back
// to an older state (nor, with CONDSTORE, to a lower MODSEQ).
func TestOwnStoreOvertakesQueuedChange(t *testing.T) {
	for _, mode := range []string{"", " (CONDSTORE)"} {
		h, a, b := twoSelecting(t, mode)
		b.send("b2 STORE 1 FLAGS (work)")
		b.until("b2 OK")
		want := `* 1 FETCH (UID 1 FLAGS ($Label1 \Seen \Recent))`
		if mode != "" {
			want = fmt.Sprintf(`* 1 FETCH (UID 1 FLAGS ($Label1 \Seen \Recent) MODSEQ (%d))`, h+2)
		}
		a.send(`a2 STORE 1 FLAGS ($Label1 \Seen)`)
		got := a.until("a2 ")
		if i := slices.Index(got, want); i < 0 || slices.ContainsFunc(got[i:], func(l string) bool { return strings.Contains(l, "FETCH") && strings.Contains(l, "work") }) {
			t.Errorf("mode %q: STORE answered %q, want %q and no older state after it", mode, got, want)
		}
		for _, l := range a.noopUntil("a3n", "a3n0 OK NOOP completed") {
			if strings.Contains(l, "FETCH") && strings.Contains(l, "work") {
				t.Errorf("mode %q: NOOP after STORE brought back the older state: %q", mode, l)
			}
		}
	}
}

// So is a STORE that changes nothing, whose answer reports the message as
// the list has it already: the changes queued for the session before that
// state are not sent after it.
func TestOwnUnchangingStoreOvertakesQueuedChange(t *testing.T) {
	for _, mode := range []string{"", " (CONDSTORE)"} {
		h, a, b := twoSelecting(t, mode)
		b.send("b2 STORE 1 +FLAGS.SILENT (one)")
		b.until("b2 OK")
		b.send("b3 STORE 1 +FLAGS.SILENT (two)")
		b.until("b3 OK")
		want := `* 1 FETCH (UID 1 FLAGS (one two \Recent))`
		if mode != "" {
			want = fmt.Sprintf(`* 1 FETCH (UID 1 FLAGS (one two \Recent) MODSEQ (%d))`, h+2)
		}
		a.send(`a2 STORE 1 +FLAGS (one)`) // set already
		got := a.until("a2 ")
		if i := slices.Index(got, want); i < 0 || slices.ContainsFunc(got[i+1:], func(l string) bool { return strings.Contains(l, "FETCH") && !strings.Contains(l, "two") }) {
			t.Errorf("mode %q: STORE answered %q, want %q and no older state after it", mode, got, want)
		}
	}
}

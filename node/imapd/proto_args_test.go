package imapd

import (
	"testing"
)

// Arguments imapserver fails to decode with an error of its own kind (a
// sequence set or UID set with 0 or a word in it, an unknown search key, a
// malformed date in SEARCH or date-time in APPEND) get a BAD that says what
// is wrong, not NO [SERVERBUG], and the session goes on.
func TestProtoMalformedArgs(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	r.appendRaw("a0", "INBOX", "", "Subject: x\r\n\r\nbody")
	r.send("s SELECT INBOX")
	r.until("s OK")
	const zeroSeq = "sequence number 0 is not valid (sequence numbers start at 1)"
	const zeroUID = "UID 0 is not valid (UIDs start at 1)"
	const dateForm = " is not a date (RFC 3501 9: d-Mon-yyyy, as in 2-Jan-2006)"
	const dateTimeForm = ` is not a date-time (RFC 3501 9: dd-Mon-yyyy hh:mm:ss +zzzz, as in 02-Jan-2006 15:04:05 -0700)`
	for _, c := range []struct{ cmd, want string }{
		{"f1 FETCH 0 FLAGS", "FETCH: " + zeroSeq},
		{"f2 FETCH 1,3:0 FLAGS", "FETCH: " + zeroSeq},
		{"f3 STORE 0:3 +FLAGS (x)", "STORE: " + zeroSeq},
		{"f4 COPY 0 INBOX", "COPY: " + zeroSeq},
		{"f5 MOVE *:0 INBOX", "MOVE: " + zeroSeq},
		{"f6 UID FETCH 0 FLAGS", "UID FETCH: " + zeroUID},
		{"f7 UID STORE 0:* +FLAGS (x)", "UID STORE: " + zeroUID},
		{"f8 UID COPY 0 INBOX", "UID COPY: " + zeroUID},
		{"f9 UID MOVE 0 INBOX", "UID MOVE: " + zeroUID},
		{"f10 UID EXPUNGE 0", "UID EXPUNGE: " + zeroUID},
		{"f11 FETCH abc FLAGS", `FETCH: "abc" is not a sequence set`},
		{"f12 FETCH 1: FLAGS", `FETCH: "1:" is not a sequence set`},
		{"f13 FETCH 01 FLAGS", `FETCH: sequence number "01" is not valid (no leading zeros)`},
		{"f14 UID FETCH 4294967296 FLAGS", `UID FETCH: UID "4294967296" is too large (at most 4294967295)`},
		{"k1 SEARCH FOO", `SEARCH: unknown search key "FOO"`},
		{"k2 UID SEARCH FOO", `UID SEARCH: unknown search key "FOO"`},
		{"k3 SEARCH SEEN (OR ALL foo)", `SEARCH: unknown search key "foo"`},
		{"k4 SEARCH NOT NOT BAR", `SEARCH: unknown search key "BAR"`},
		{"k5 SEARCH 0", "SEARCH: " + zeroSeq},
		{"k6 SEARCH UID 0:4", "SEARCH: " + zeroUID},
		{"k7 SEARCH RETURN (COUNT) CHARSET UTF-8 OR 1 0", "SEARCH: " + zeroSeq},
		{"d1 SEARCH SINCE 99-Foo-2020", `SEARCH: SINCE "99-Foo-2020"` + dateForm},
		{"d2 SEARCH BEFORE 1-Jan-20", `SEARCH: BEFORE "1-Jan-20"` + dateForm},
		{`d3 SEARCH ON "32-Jan-2020"`, `SEARCH: ON "32-Jan-2020"` + dateForm},
		{"d4 UID SEARCH SENTSINCE 2020-01-01", `UID SEARCH: SENTSINCE "2020-01-01"` + dateForm},
		{"d5 SEARCH OR SENTBEFORE 1-Jan-2020 SENTON x", `SEARCH: SENTON "x"` + dateForm},
		{`a1 APPEND INBOX "not a date" {3}`, `APPEND: "not a date"` + dateTimeForm},
		{`a2 APPEND INBOX (\Seen) "31-Feb-2020 10:00:00 +0000" {3}`, `APPEND: "31-Feb-2020 10:00:00 +0000"` + dateTimeForm},
	} {
		tag := firstWord(c.cmd)
		r.refusedAtOnce(c.cmd, tag+" BAD [CLIENTBUG] "+c.want)
		r.expect("n NOOP", "n OK NOOP completed")
	}
	// A literal's data is an argument like any other: the arguments after
	// it are checked too; a refused APPEND's message, sent as a
	// non-synchronizing literal, is skipped, not read as commands.
	r.sendRaw("l1 SEARCH SUBJECT {1+}\r\nx SINCE 1-Foo-2020\r\n")
	r.expect("l2 NOOP", `l1 BAD [CLIENTBUG] SEARCH: SINCE "1-Foo-2020"`+dateForm, "l2 OK NOOP completed")
	r.sendRaw("l3 SEARCH SUBJECT {1}\r\n")
	if got := r.line(); got != "+ Ready for literal data" {
		t.Fatalf("SEARCH literal: %q", got)
	}
	r.sendRaw("x SINCE {10+}\r\n1-Foo-2020\r\n")
	r.expect("l4 NOOP", `l3 BAD [CLIENTBUG] SEARCH: SINCE "1-Foo-2020"`+dateForm, "l4 OK NOOP completed")
	r.sendRaw("l5 APPEND {5+}\r\nINBOX \"bad\" {11+}\r\nl6 LOGOUT\r\n\r\n")
	r.expect("l7 NOOP", `l5 BAD [CLIENTBUG] APPEND: "bad"`+dateTimeForm, "l7 OK NOOP completed")
	// Valid forms pass.
	r.expect("v1 FETCH 1:* (FLAGS)", `~\* 1 FETCH \(FLAGS \(.*\)\)`, "v1 OK FETCH completed")
	r.expect("v2 UID FETCH 1:4294967295 (FLAGS)", `~\* 1 FETCH \(UID 1 FLAGS \(.*\)\)`, "v2 OK UID FETCH completed")
	r.expect(`v3 SEARCH OR NOT SEEN (UID 1:* SINCE 1-Jan-2020) SENTON "02-Jan-2006" 1,*:1 NOT(ALL)`, "* SEARCH", "v3 OK SEARCH completed")
	r.expect(`v4 SEARCH CHARSET UTF-8 HEADER Subject x KEYWORD $Junk LARGER 1 ()`, "* SEARCH", "v4 OK SEARCH completed")
	r.expect(`v5 SEARCH $`, "* SEARCH", "v5 OK SEARCH completed")
	r.expect(`v6 SEARCH SUBJECT "abc`, `v6 BAD [CLIENTBUG] Quoted string not terminated`)
	r.expect(`v7 SEARCH SINCE 1-Jan-2020`, "* SEARCH 1", "v7 OK SEARCH completed")
	if got := r.appendRaw("v8", "INBOX", `(\Seen) " 2-Jan-2006 15:04:05 -0700"`, "Subject: y\r\n\r\nbody"); got == "" {
		t.Fatal("APPEND with a date-time")
	}
}

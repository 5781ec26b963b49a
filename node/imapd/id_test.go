package imapd

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

func (r *rawConn) sendRaw(s string) {
	r.t.Helper()
	if _, err := r.c.Write([]byte(s)); err != nil {
		r.t.Fatalf("write %q: %v", s, err)
	}
}

const serverIDLine = `* ID ` + serverIDValue

func TestIDBeforeAndAfterLogin(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.send(`i1 ID ("name" "Delta Chat" "version" "2.0")`)
	if got := r.until("i1 "); len(got) != 2 || got[0] != serverIDLine || got[1] != "i1 OK ID completed" {
		t.Fatalf("ID before login: %q", got)
	}
	r.send(`i2 CAPABILITY`)
	if got := r.until("i2 "); !strings.HasPrefix(got[0], "* CAPABILITY IMAP4rev1 ID ") {
		t.Fatalf("CAPABILITY %q lacks ID", got)
	}
	r.send(`a1 LOGIN ` + testUser + ` "` + testPass + `"`)
	if got := r.until("a1 "); !strings.HasPrefix(got[len(got)-1], "a1 OK [CAPABILITY IMAP4rev1 ID ") {
		t.Fatalf("LOGIN reply %q lacks ID", got)
	}
	r.send(`i3 id nil`)
	if got := r.until("i3 "); got[0] != serverIDLine || got[1] != "i3 OK ID completed" {
		t.Fatalf("ID NIL after login: %q", got)
	}
	r.send(`i4 ID (broken`)
	if got := r.until("i4 "); !strings.HasPrefix(got[0], "i4 BAD ") {
		t.Fatalf("bad ID: %q", got)
	}
	r.send("z NOOP")
	r.until("z OK")
}

func TestGreetingAdvertisesID(t *testing.T) {
	e := newEnv(t)
	r := dialRawNoGreeting(t, e.addr)
	if g := r.line(); !strings.HasPrefix(g, "* OK [CAPABILITY IMAP4rev1 ID ") {
		t.Fatalf("greeting %q", g)
	}
}

// Pipelined commands get their answers in order around an ID.
func TestIDPipelined(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.sendRaw("p1 NOOP\r\np2 ID NIL\r\np3 LOGIN " + testUser + ` "` + testPass + "\"\r\np4 ID NIL\r\np5 SELECT INBOX\r\n")
	got := r.until("p5 ")
	var tagged []string
	for _, l := range got {
		if !strings.HasPrefix(l, "* ") {
			tagged = append(tagged, strings.Fields(l)[0])
		}
	}
	if fmt.Sprint(tagged) != "[p1 p2 p3 p4 p5]" {
		t.Fatalf("tagged replies in order %v: %q", tagged, got)
	}
}

// ID with literals, synchronizing and not.
func TestIDLiterals(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.send(`l1 ID ("name" {5}`)
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("continuation %q", l)
	}
	r.sendRaw("mutt!)\r\n")
	if got := r.until("l1 "); got[len(got)-1] != "l1 OK ID completed" {
		t.Fatalf("sync literal: %q", got)
	}
	r.sendRaw("l2 ID ({4+}\r\nname {3+}\r\nabc)\r\n")
	if got := r.until("l2 "); got[len(got)-1] != "l2 OK ID completed" {
		t.Fatalf("non-sync literal: %q", got)
	}
	r.sendRaw("l3 ID (\"name\" {99999+}\r\n" + strings.Repeat("x", 99999) + ")\r\nl4 NOOP\r\n")
	if got := r.until("l4 "); !strings.HasPrefix(got[0], "l3 BAD") || got[1] != "l4 OK NOOP completed" {
		t.Fatalf("oversized literal: %q", got)
	}
}

// Message data is never taken for commands or capability lines: an APPEND
// literal full of them, and a FETCH of it, pass unchanged.
func TestLiteralsPassUntouched(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.send(`a1 LOGIN ` + testUser + ` "` + testPass + `"`)
	r.until("a1 OK")
	body := "Subject: tricky\r\n\r\nx ID NIL\r\n* CAPABILITY IMAP4rev1 X\r\ny NOOP {3}\r\n+ go\r\n"
	r.sendRaw(fmt.Sprintf("a2 APPEND INBOX {%d}\r\n", len(body)))
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("continuation %q", l)
	}
	r.sendRaw(body + "\r\n")
	if got := r.until("a2 "); !strings.HasPrefix(got[len(got)-1], "a2 OK [APPENDUID ") {
		t.Fatalf("APPEND: %q", got)
	}
	r.sendRaw(fmt.Sprintf("a3 APPEND INBOX {%d+}\r\n%s\r\n", len(body), body))
	r.until("a3 OK")
	r.send("a4 SELECT INBOX")
	r.until("a4 OK")
	r.send("a5 FETCH 1:2 (BODY.PEEK[])")
	for i := 1; i <= 2; i++ {
		head := r.line()
		want := fmt.Sprintf("* %d FETCH (BODY[] {%d}", i, len(body))
		if head != want {
			t.Fatalf("FETCH head %q, want %q", head, want)
		}
		got := make([]byte, len(body))
		if _, err := readFull(r, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, []byte(body)) {
			t.Fatalf("message %d came back as %q", i, got)
		}
		if l := r.line(); l != ")" {
			t.Fatalf("after literal %q", l)
		}
	}
	r.until("a5 OK")
	r.send("a6 ID NIL")
	r.until("a6 OK")
}

// A synchronizing literal the server refuses is never sent; the next line
// is a command again.
func TestRefusedLiteralThenID(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.send(`a1 LOGIN ` + testUser + ` "` + testPass + `"`)
	r.until("a1 OK")
	r.send(fmt.Sprintf("a2 APPEND INBOX {%d}", DefaultMaxAppendSize+1))
	if got := r.until("a2 "); !strings.HasPrefix(got[0], "a2 NO [TOOBIG]") {
		t.Fatalf("oversized APPEND: %q", got)
	}
	r.send("a3 ID NIL")
	if got := r.until("a3 "); got[0] != serverIDLine {
		t.Fatalf("ID after refused literal: %q", got)
	}
}

// Continuations of AUTHENTICATE and synchronizing literals in LOGIN pass
// through the layer in front of imapserver.
func TestAuthenticateAndLiteralLogin(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.send("a1 AUTHENTICATE PLAIN")
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("AUTHENTICATE continuation %q", l)
	}
	r.send(base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testPass)))
	if got := r.until("a1 "); !strings.HasPrefix(got[len(got)-1], "a1 OK [CAPABILITY IMAP4rev1 ID ") {
		t.Fatalf("AUTHENTICATE: %q", got)
	}
	r2 := dialRaw(t, e.addr)
	r2.send(fmt.Sprintf("b1 LOGIN {%d}", len(testUser)))
	if l := r2.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("literal continuation %q", l)
	}
	r2.send(fmt.Sprintf("%s {%d}", testUser, len(testPass)))
	if l := r2.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("literal continuation %q", l)
	}
	r2.send(testPass)
	if got := r2.until("b1 "); !strings.HasPrefix(got[len(got)-1], "b1 OK [CAPABILITY IMAP4rev1 ID ") {
		t.Fatalf("LOGIN with literals: %q", got)
	}
	r2.expect("b2 ID NIL", serverIDLine, "b2 OK ID completed")
}

// sendLongID sends an ID command of pairs pairs whose field names and
// values are strings of size bytes, as quoted strings or as literals of
// the given form ("{%d}" waits for each continuation request, "{%d+}"
// does not), and checks that it is answered with the server's fields.
func sendLongID(r *rawConn, tag string, pairs, size int, form string) {
	r.t.Helper()
	str := func(i int, kind byte) string { return fmt.Sprintf("%c%04d%s", kind, i, strings.Repeat("x", size-5)) }
	if form == "quoted" {
		var b strings.Builder
		for i := range pairs {
			fmt.Fprintf(&b, " %q %q", str(i, 'k'), str(i, 'v'))
		}
		r.sendRaw(tag + " ID (" + b.String()[1:] + ")\r\n")
	} else {
		pending := tag + " ID ("
		for i := range 2 * pairs {
			sep := " "
			if i == 0 {
				sep = ""
			}
			r.sendRaw(pending + sep + fmt.Sprintf(form, size) + "\r\n")
			if !strings.Contains(form, "+") {
				if l := r.line(); !strings.HasPrefix(l, "+ ") {
					r.t.Fatalf("literal %d of %s: continuation %q", i, tag, l)
				}
			}
			pending = str(i/2, "kv"[i%2])
		}
		r.sendRaw(pending + ")\r\n")
	}
	if got := r.until(tag + " "); len(got) != 2 || got[0] != serverIDLine || got[1] != tag+" OK ID completed" {
		r.t.Fatalf("long ID %s (%s): %.300q", tag, form, got)
	}
}

// An ID with far more and far longer parameters than RFC 2971 3.3 allows
// a client is answered all the same (the server ignores the excess),
// before and after login, with quoted strings and with both kinds of
// literals; the session goes on.
func TestIDLongParameterList(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	for i, form := range []string{"quoted", "{%d}", "{%d+}"} {
		sendLongID(r, fmt.Sprintf("p%d", i), 100, 2000, form)
	}
	r.expect("n1 NOOP", "n1 OK NOOP completed")
	r.login()
	for i, form := range []string{"quoted", "{%d}", "{%d+}"} {
		sendLongID(r, fmt.Sprintf("q%d", i), 100, 2000, form)
	}
	// After login (LITERAL+) a non-synchronizing literal of any size is
	// read and all but its start ignored.
	sendLongID(r, "q3", 2, 200000, "{%d+}")
	r.expect("s SELECT INBOX", "* 0 EXISTS", "* 0 RECENT", `~\* OK \[UIDVALIDITY \d+\] UIDs valid`,
		"* OK [UIDNEXT 1] Predicted next UID", `~\* FLAGS .*`, `~\* OK \[PERMANENTFLAGS .*`, highestModSeqLine, "s OK [READ-WRITE] SELECT completed")
}

// A literal in ID that the server does not take is refused at once when
// synchronizing, and skipped with the rest of the command when not; only
// malformed lists get a BAD otherwise, never a disconnection.
func TestIDRefusals(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.send(`b1 ID ("name" {5000}`)
	r.expectLines("sync literal above 4096 bytes", "b1 BAD [TOOBIG] Literal of 5000 bytes is too big before login (at most 4096)")
	r.sendRaw("b2 ID ({9000+}\r\n" + strings.Repeat("b3 NOOP\r\n", 1000) + " NIL)\r\n")
	r.expectLines("non-sync literal above 4096 bytes before login", "b2 BAD [TOOBIG] Literal of 9000 bytes is too big before login (at most 4096)")
	for _, cmd := range []string{`c1 ID`, `c2 ID ("name")`, `c3 ID ("name" "x" "version")`, `c4 ID ("a" "b"  "c" "d")`,
		`c5 ID ({3x}`, `c6 ID ("a\q" NIL)`, `c7 ID NIL extra`, `c8 ID ("name" "x") {4+}`} {
		r.send(cmd)
		if got := r.line(); !strings.HasPrefix(got, strings.Fields(cmd)[0]+" BAD [CLIENTBUG] ID syntax error") {
			t.Fatalf("%s: %q", cmd, got)
		}
	}
	r.sendRaw("test\r\n") // the literal c8 announced
	r.expect(`c9 ID ()`, serverIDLine, "c9 OK ID completed")
	r.login()
	r.send(`d1 ID ("name" {5000}`)
	r.expectLines("sync literal above 4096 bytes after login", "d1 BAD [TOOBIG] Literal of 5000 bytes is too big for this command (at most 4096)")
	r.expect("d2 NOOP", "d2 OK NOOP completed")
}

package imapd

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/mailbox"
)

// lineWithin reads one response line that must come within d: an answer
// that does not wait for data the client has not sent.
func (r *rawConn) lineWithin(d time.Duration) string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(d))
	l, err := r.br.ReadString('\n')
	if err != nil {
		r.t.Fatalf("no response within %v: %v (after %q)", d, err, l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// refusedAtOnce sends cmd and checks that the answer is want, at once.
func (r *rawConn) refusedAtOnce(cmd, want string) {
	r.t.Helper()
	r.send(cmd)
	if got := r.lineWithin(2 * time.Second); got != want {
		r.t.Fatalf("%.100s:\n got  %q\n want %q", cmd, got, want)
	}
}

// serveWithAppendLimit serves a fresh store with APPENDLIMIT limit and
// returns the address.
func serveWithAppendLimit(t *testing.T, limit int64) (string, *mailbox.Store) {
	st, err := mailbox.Open(t.TempDir(), mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Store: st, Authenticate: checkTestLogin, Logger: slog.New(slog.DiscardHandler), MaxAppendSize: limit})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close(); st.Close() })
	return l.Addr().String(), st
}

const (
	tooLong        = "BAD [TOOBIG] Command too long (more than 49152 bytes outside literals)"
	tooDeep        = "BAD [CLIENTBUG] Lists nested too deep (more than 100 levels)"
	hugeBeforeAuth = "BAD [TOOBIG] Literal of 2147483648 bytes is too big before login (at most 4096)"
	hugeAfterAuth  = "BAD [TOOBIG] Literal of 2147483648 bytes is too big for this command (at most 4096)"
)

// A search nested deeper than the server takes gets a BAD that says so,
// not an internal error, and the session goes on; the deepest nesting
// allowed, and long chains of NOT and OR, are searched.
func TestSearchNestingTooDeep(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	r.expect("s EXAMINE INBOX", "* 0 EXISTS", "* 0 RECENT", `~.*`, `~.*`, `~.*`, `~.*`, highestModSeqLine, `~s OK \[READ-ONLY\].*`)
	nested := func(n int) string { return strings.Repeat("(", n) + "ALL" + strings.Repeat(")", n) }
	r.refusedAtOnce("q1 SEARCH "+nested(10000), "q1 "+tooDeep)
	r.refusedAtOnce("q2 UID SEARCH "+strings.Repeat("(", 10000), "q2 "+tooDeep)
	r.refusedAtOnce("q3 FETCH 1 (BODY[HEADER.FIELDS "+strings.Repeat("(", 200)+"]", "q3 "+tooDeep)
	r.expect("q4 SEARCH "+nested(maxListNesting), "* SEARCH", "q4 OK SEARCH completed")
	r.expect("q5 SEARCH "+strings.Repeat("NOT ", 10000)+"ALL", "* SEARCH", "q5 OK SEARCH completed")
	r.expect("q6 SEARCH "+strings.Repeat("OR ALL ", 6000)+"ALL", "* SEARCH", "q6 OK SEARCH completed")
	r.expect("q7 SEARCH SUBJECT \"(((\" "+nested(50), "* SEARCH", "q7 OK SEARCH completed")
	r.expect("n NOOP", "n OK NOOP completed")
}

// A command line longer than the server reads gets a BAD that says so,
// before and after login, and the rest of the line is not taken for
// commands; a long line within the bound is served.
func TestOverlongCommandLine(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	long := strings.Repeat("1,", 40000) + "1"
	r.refusedAtOnce("a1 LOGIN "+long+" x", "a1 "+tooLong)
	r.expect("a2 NOOP", "a2 OK NOOP completed")
	r.login()
	r.expect("s SELECT INBOX", "* 0 EXISTS", "* 0 RECENT", `~.*`, `~.*`, `~.*`, `~.*`, highestModSeqLine, `~s OK \[READ-WRITE\].*`)
	r.refusedAtOnce("b1 UID SEARCH "+long, "b1 "+tooLong)
	r.refusedAtOnce("b2 UID SEARCH "+strings.Repeat("a", 1<<20), "b2 "+tooLong)
	r.expect("b3 UID SEARCH "+strings.Repeat("1,", 20000)+"1", "* SEARCH", "b3 OK UID SEARCH completed")
	// With literals the bound holds for the whole command.
	r.sendRaw("b4 LIST \"\" {2+}\r\n%%" + strings.Repeat(" ", 50000) + "\r\n")
	r.expectLines("long line after a literal", "b4 "+tooLong)
	r.expect("b5 NOOP", "b5 OK NOOP completed")
}

// A synchronizing literal too big for its command is refused at once,
// never waited for: before login any literal above 4096 bytes, after login
// APPEND's message above APPENDLIMIT (NO [TOOBIG]) and any other literal
// above 4096 bytes. The session goes on.
func TestHugeLiteralRefusedAtOnce(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.refusedAtOnce("a1 LOGIN {2147483648}", "a1 "+hugeBeforeAuth)
	r.refusedAtOnce("a2 APPEND INBOX {2147483648}", "a2 "+hugeBeforeAuth)
	r.refusedAtOnce("a3 AUTHENTICATE PLAIN {2147483648}", "a3 "+hugeBeforeAuth)
	r.send("a4 LOGIN {3}")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("continuation %q", l)
	}
	r.refusedAtOnce("abc {2147483648}", "a4 "+hugeBeforeAuth)
	r.expect("a5 NOOP", "a5 OK NOOP completed")
	r.login()
	r.refusedAtOnce("b1 APPEND INBOX {2147483648}", "b1 NO [TOOBIG] Literals are limited to 67108864 bytes for this command")
	r.refusedAtOnce("b2 SELECT {2147483648}", "b2 "+hugeAfterAuth)
	r.refusedAtOnce("b3 APPEND {2147483648}", "b3 "+hugeAfterAuth)
	r.refusedAtOnce("b4 LOGIN {4097}", "b4 BAD [TOOBIG] Literal of 4097 bytes is too big for this command (at most 4096)")
	r.send("b5 APPEND {5}")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("continuation %q", l)
	}
	r.refusedAtOnce("INBOX (\\Seen) {2147483648}", "b5 NO [TOOBIG] Literals are limited to 67108864 bytes for this command")
	r.refusedAtOnce("b6 APPEND INBOX UTF8 (~{2147483648}", "b6 NO [TOOBIG] Literals are limited to 67108864 bytes for this command")
	r.expect("b7 NOOP", "b7 OK NOOP completed")
}

// A non-synchronizing literal the server does not take arrives all the
// same (LITERAL+, LITERAL-: RFC 7888): the command is refused at once and
// the literal read and ignored, never parsed as commands.
func TestRefusedNonSyncLiteralSkipped(t *testing.T) {
	addr, st := serveWithAppendLimit(t, 1000)
	r := dialRaw(t, addr)
	commands := strings.Repeat("z LOGOUT\r\n", 600)
	r.sendRaw(fmt.Sprintf("a1 LOGIN {%d+}\r\n%s {1+}\r\nx\r\n", len(commands), commands))
	r.expectLines("non-sync literal before login", fmt.Sprintf("a1 BAD [TOOBIG] Literal of %d bytes is too big before login (at most 4096)", len(commands)))
	r.expect("a2 NOOP", "a2 OK NOOP completed")
	r.login()
	r.sendRaw(fmt.Sprintf("b1 SELECT {%d+}\r\n%s\r\n", len(commands), commands))
	r.expectLines("non-sync literal after login", fmt.Sprintf("b1 BAD [TOOBIG] Literal of %d bytes is too big for this command (at most 4096)", len(commands)))
	r.sendRaw(fmt.Sprintf("b2 APPEND INBOX {%d+}\r\n%s\r\n", len(commands), commands))
	r.expectLines("non-sync APPEND above APPENDLIMIT", "b2 NO [TOOBIG] Literals are limited to 1000 bytes for this command")
	r.sendRaw(fmt.Sprintf("b3 APPEND INBOX (\\Bogus {%d+}\r\n%s\r\n", len(commands), commands))
	if got := r.line(); !strings.HasPrefix(got, "b3 BAD ") {
		t.Fatalf("APPEND with a syntax error before its message: %q", got)
	}
	r.expect("b4 NOOP", "b4 OK NOOP completed")
	if s, err := st.Status("INBOX"); err != nil || s.Messages != 0 {
		t.Fatalf("INBOX after refused APPENDs: %+v, %v", s, err)
	}
}

// Lines imapserver would end the connection on without a word get a BAD.
func TestMalformedCommandStart(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	for _, step := range [][2]string{
		{"", "* BAD [CLIENTBUG] Missing or invalid command tag"},
		{" NOOP", "* BAD [CLIENTBUG] Missing or invalid command tag"},
		{"a] NOOP", "* BAD [CLIENTBUG] Missing or invalid command tag"},
		{"a+ NOOP {3+}\r\nabc", "* BAD [CLIENTBUG] Missing or invalid command tag"},
		{"x", "x BAD [CLIENTBUG] Missing command name"},
		{"x ", "x BAD [CLIENTBUG] Missing command name"},
		{"x UID", "x BAD [CLIENTBUG] Missing command name"},
		{"x (NOOP)", "x BAD [CLIENTBUG] Missing command name"},
		{`x SEARCH SUBJECT "abc {3+}` + "\r\nabc", "x BAD [CLIENTBUG] Quoted string not terminated"},
		{`x SELECT "INBOX {3+}` + "\r\nabc", "x BAD [CLIENTBUG] SELECT: a quoted mailbox name does not end on its line"},
	} {
		r.refusedAtOnce(step[0], step[1])
	}
	r.expect("n NOOP", "n OK NOOP completed")
}

// Input imapserver would leave unanswered, or read on as commands, within
// a command it serves: what follows APPEND's message, an overlong line
// during IDLE or AUTHENTICATE.
func TestNoSilenceWithinCommands(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.send("a1 AUTHENTICATE PLAIN")
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("AUTHENTICATE continuation %q", l)
	}
	r.refusedAtOnce(strings.Repeat("QUFB", 2000), "a1 BAD AUTHENTICATE cancelled")
	r.login()
	r.sendRaw("b1 APPEND INBOX {3+}\r\nabc junk\r\n")
	r.expectLines("APPEND with text after the message", "b1 BAD [CLIENTBUG] Syntax error after the APPEND message data")
	r.sendRaw("b2 APPEND INBOX {3+}\r\nabc {10+}\r\nb3 LOGOUT\r\n")
	r.expectLines("APPEND of two messages", "b2 BAD [CLIENTBUG] Syntax error after the APPEND message data")
	r.sendRaw("b4 APPEND INBOX {3}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("APPEND continuation %q", l)
	}
	r.refusedAtOnce("abc {10}", "b4 BAD [CLIENTBUG] Syntax error after the APPEND message data")
	// imapserver stores the message before it reads what follows.
	r.expect("b5 SELECT INBOX", "* 3 EXISTS", `~\* \d+ RECENT`, `~.*`, `~.*`, `~.*`, `~.*`, `~.*`, highestModSeqLine, `~b5 OK \[READ-WRITE\].*`)
	r.send("c1 IDLE")
	if l := r.line(); l != "+ idling" {
		t.Fatalf("IDLE continuation %q", l)
	}
	r.refusedAtOnce(strings.Repeat("DONE", 2000), "c1 BAD [CLIENTBUG] Syntax error: expected DONE to end IDLE command")
	r.expect("c2 NOOP", "c2 OK NOOP completed")
}

// Before login the capability list offers LITERAL-, after it LITERAL+,
// never both (RFC 7888 5).
func TestLiteralCapabilities(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	pre := r.expect("c1 CAPABILITY", `~\* CAPABILITY .*`, "c1 OK CAPABILITY completed")[0]
	if !strings.Contains(pre, " LITERAL- ") || strings.Contains(pre, "LITERAL+") {
		t.Fatalf("before login: %q", pre)
	}
	r.login()
	post := r.expect("c2 CAPABILITY", `~\* CAPABILITY .*`, "c2 OK CAPABILITY completed")[0]
	if !strings.Contains(post, " LITERAL+ ") || strings.Contains(post, "LITERAL-") {
		t.Fatalf("after login: %q", post)
	}
}

package imapd

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
)

// A mailbox name that is not modified UTF-7 (RFC 3501 5.1.3) is refused
// with NO [CANNOT] and the reason, by every command that takes one, in
// every state, and the session goes on.
func TestProtoNamesNotModifiedUTF7(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	bad := map[string]string{
		`&Jjo`:          `"&" starts a base64 run that no "-" ends`,
		`a&b`:           `"&" starts a base64 run that no "-" ends`,
		`"x&AOk-&AOk-"`: `two base64 runs follow each other`,
		`"&AGE-"`:       `a base64 run encodes a printable ASCII character`,
		`"&2D0-"`:       `a base64 run holds half a UTF-16 surrogate pair`,
		`"&A-"`:         `a run between "&" and "-" is not modified BASE64 of UTF-16`,
		"\"a\x01b\"":    `it has a control character`,
		"\"a\xffb\"":    `it is not UTF-8`,
	}
	no := func(tag, cmd, reason string) string {
		return fmt.Sprintf(`~%s NO \[CANNOT\] %s: mailbox name .* is not valid modified UTF-7 \(RFC 3501 5\.1\.3\): %s.*`,
			tag, cmd, regexp.QuoteMeta(reason))
	}
	r.expect(`p1 CREATE &Jjo`, no("p1", "CREATE", bad[`&Jjo`]))
	r.login()
	i := 0
	for name, reason := range bad {
		for _, cmd := range []string{"CREATE %s", "DELETE %s", "RENAME %s Other", "RENAME INBOX %s", "SUBSCRIBE %s",
			"UNSUBSCRIBE %s", "STATUS %s (MESSAGES)", "SELECT %s", "EXAMINE %s", "APPEND %s {5}"} {
			i++
			tag := fmt.Sprintf("a%d", i)
			r.expect(tag+" "+fmt.Sprintf(cmd, name), no(tag, firstWord(cmd), reason))
		}
	}
	r.send(`s1 SELECT INBOX`)
	r.until("s1 OK")
	for i, cmd := range []string{"COPY 1:* %s", "MOVE 1:* %s", "UID COPY 1:* %s", "UID MOVE 1:* %s"} {
		tag := fmt.Sprintf("m%d", i)
		r.expect(tag+" "+fmt.Sprintf(cmd, "a&b"), no(tag, cmdName(cmd), bad["a&b"]))
	}
	// Raw UTF-8 goes in quoted strings: "Ü" ends in a byte no atom holds,
	// and imapserver would decode the atom cut short, "\xc3".
	r.expect(`u1 LIST "" Ü*`, `~u1 BAD \[CLIENTBUG\] LIST: syntax error in mailbox name .*`)
	r.expect(`u2 CREATE Ü`, `~u2 BAD \[CLIENTBUG\] CREATE: syntax error in mailbox name .*`)
	r.expect(`u3 CREATE "Ü"`, `u3 OK CREATE completed`)
	// imapserver would read an unended quoted string on into the next
	// command line.
	r.expect(`q1 CREATE "Work`, `q1 BAD [CLIENTBUG] CREATE: a quoted mailbox name does not end on its line`)
	r.expect(`s2 NOOP`, "s2 OK NOOP completed")
	r.expect(`s3 LIST "" *&*`, "s3 OK LIST completed")
}

// Names written in modified UTF-7 or, as go-imap accepts, in raw UTF-8 are
// the same names, before and after ENABLE UTF8=ACCEPT (RFC 6855); after
// it, LIST shows them in UTF-8 with "&" written "&-".
func TestProtoNamesUTF7AndUTF8(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	r.expect(`a1 CREATE "Caf&AOk-/R&-D"`, "a1 OK CREATE completed")
	r.expect(`a2 CREATE "Ünïcode/日本"`, "a2 OK CREATE completed")
	r.expect(`a3 LIST "" Caf*`, `* LIST (\HasChildren) "/" "Caf&AOk-"`, `* LIST (\HasNoChildren) "/" "Caf&AOk-/R&-D"`, "a3 OK LIST completed")
	r.expect(`a4 LIST "" "Café/%"`, `* LIST (\HasNoChildren) "/" "Caf&AOk-/R&-D"`, "a4 OK LIST completed")
	r.expect(`a5 STATUS "&ANw-n&AO8-code/&ZeVnLA-" (MESSAGES)`, `* STATUS "&ANw-n&AO8-code/&ZeVnLA-" (MESSAGES 0)`, "a5 OK STATUS completed")
	r.expect(`a6 ENABLE UTF8=ACCEPT`, "* ENABLED UTF8=ACCEPT", "a6 OK ENABLE completed")
	r.expect(`a7 LIST "" "Ü*"`, `* LIST (\HasChildren) "/" "Ünïcode"`, `* LIST (\HasNoChildren) "/" "Ünïcode/日本"`, "a7 OK LIST completed")
	r.expect(`a8 SUBSCRIBE "Ünïcode/日本"`, "a8 OK SUBSCRIBE completed")
	r.expect(`a9 LSUB "" "Ünïcode/*"`, `* LSUB (\HasNoChildren) "/" "Ünïcode/日本"`, "a9 OK LSUB completed")
	r.send(`b1 SELECT "Caf&AOk-/R&-D"`)
	r.until("b1 OK")
	r.expect(`b2 RENAME "Café/R&-D" "Café/日本"`, "b2 OK RENAME completed")
	r.expect(`b3 LIST "" Caf*`, `* LIST (\HasChildren) "/" "Café"`, `* LIST (\HasNoChildren) "/" "Café/日本"`, "b3 OK LIST completed")
}

func firstWord(s string) string {
	for i := range s {
		if s[i] == ' ' {
			return s[:i]
		}
	}
	return s
}

func cmdName(cmd string) string {
	if w := firstWord(cmd); w != "UID" {
		return w
	}
	return "UID " + firstWord(cmd[4:])
}

// A mailbox name sent as a literal, synchronizing or not, gets the same
// answer as the name on the line: NO [CANNOT] if it is not modified UTF-7,
// and LIST takes such a pattern for itself. The literals of a refused
// command are never read as commands.
func TestProtoNamesAsLiterals(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.store.Append("INBOX", strings.NewReader("Subject: x\r\n\r\nx\r\n"), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	r := dialRaw(t, e.addr)
	no := func(tag, cmd string) string {
		return fmt.Sprintf(`~%s NO \[CANNOT\] %s: mailbox name "&Jjo" is not valid modified UTF-7 \(RFC 3501 5\.1\.3\): .*`, tag, cmd)
	}
	last := func(tag, raw, want string) {
		t.Helper()
		r.sendRaw(raw)
		got := r.until(tag + " ")
		r.check(raw, got[len(got)-1:], []string{want})
	}
	last("p1", "p1 CREATE {4}\r\n&Jjo\r\n", no("p1", "CREATE"))
	r.login()
	for i, cmd := range []string{"CREATE %s", "DELETE %s", "RENAME %s Other", "RENAME {5+}\r\nINBOX %s", "SUBSCRIBE %s",
		"UNSUBSCRIBE %s", "STATUS %s (MESSAGES)", "SELECT %s", "EXAMINE %s", "APPEND %s {3+}\r\nabc"} {
		for j, lit := range []string{"{4}\r\n&Jjo", "{4+}\r\n&Jjo"} {
			tag := fmt.Sprintf("a%d.%d", i, j)
			last(tag, tag+" "+fmt.Sprintf(cmd, lit)+"\r\n", no(tag, firstWord(cmd)))
		}
	}
	r.refusedAtOnce("b1 APPEND {4+}\r\n&Jjo (\\Seen) {3}", `b1 NO [CANNOT] APPEND: mailbox name "&Jjo" is not valid modified UTF-7 (RFC 3501 5.1.3): "&" starts a base64 run that no "-" ends (write "&-" for "&" itself)`)
	r.expect("b2 NOOP", "b2 OK NOOP completed")
	last("s1", "s1 SELECT {5+}\r\nINBOX\r\n", "s1 OK [READ-WRITE] SELECT completed")
	for i, cmd := range []string{"COPY 1:* %s", "MOVE 1:* %s", "UID COPY 1:* %s", "UID MOVE 1:* %s"} {
		tag := fmt.Sprintf("m%d", i)
		last(tag, tag+" "+fmt.Sprintf(cmd, "{4+}\r\n&Jjo")+"\r\n", no(tag, cmdName(cmd)))
	}
	// LIST and LSUB take a pattern that is not modified UTF-7 for itself.
	r.expect(`l0 CREATE "x&-Jjo"`, "l0 OK CREATE completed")
	last("l1", "l1 LIST \"\" {5}\r\nx&Jjo\r\n", "l1 OK LIST completed")
	last("l2", "l2 LIST {0+}\r\n {5+}\r\nx&Jj%\r\n", "l2 OK LIST completed")
	r.sendRaw("l3 LIST \"\" ({5+}\r\nx&Jjo \"INBOX\")\r\n")
	r.check("LIST of literal patterns", r.until("l3 "), []string{`~\* LIST \(.*\) "/" INBOX`, `~\* LIST \(.*\) "/" "x&-Jjo"`, "l3 OK LIST completed"})
	last("l4", "l4 LSUB {1+}\r\n& *\r\n", "l4 OK LSUB completed")
	// What follows a refused name, on its line or in literals, is skipped.
	evil := "e9 CREATE Evil\r\n"
	last("e1", fmt.Sprintf("e1 RENAME {4+}\r\n&Jjo {%d+}\r\n%s\r\n", len(evil), evil), no("e1", "RENAME"))
	last("e2", fmt.Sprintf("e2 RENAME &Jjo {%d+}\r\n%s\r\n", len(evil), evil), no("e2", "RENAME"))
	last("e3", fmt.Sprintf("e3 APPEND {4+}\r\n&Jjo {%d+}\r\n%s\r\n", len(evil), evil), no("e3", "APPEND"))
	r.expect("e4 STATUS Evil (MESSAGES)", `~e4 NO .*`)
	r.expect("z NOOP", "z OK NOOP completed")
}

package imapd

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/mailbox"
)

// FuzzMailboxNames sends every command that takes a mailbox name or a
// LIST pattern, with a fuzzed name as a quoted string, as an atom and as
// a non-synchronizing literal, to a logged-in session with INBOX selected.
// No answer may be a server error (NO [SERVERBUG]), and the session must
// reach LOGOUT.
func FuzzMailboxNames(f *testing.F) {
	for _, s := range []string{"!#$&'+,-.0123456789:;<=>?@^_`|[}%*", "&Jjo", "a&b", "Caf&AOk-", "Café/日本", "a/b/", "inbox/x",
		"&AOk-&AOk-", "\x01", "\xff", "a\\\"b", "%", "*/%", "&2D0-",
		"&-x", "a\r\n&", "x {3+}\r\n&Jj", "\x01\x02\x03%"} {
		f.Add(s)
	}
	e := newEnv(f)
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("fuzz", 10)), mailbox.AppendOptions{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string) {
		quoted := `"` + strings.NewReplacer("\\", "\\\\", `"`, `\"`, "\r", "", "\n", "").Replace(name) + `"`
		atom := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\r' || r == '\n' {
				return 'x'
			}
			return r
		}, name)
		var script strings.Builder
		literal := fmt.Sprintf("{%d+}\r\n%s", len(name), name)
		for i, arg := range []string{quoted, atom, literal} {
			for j, cmd := range []string{"CREATE %s", "SUBSCRIBE %s", "LIST \"\" %s", "LIST %s \"*\"", "LSUB \"\" %s",
				"LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (%s \"%%\") RETURN (CHILDREN STATUS (MESSAGES))", "STATUS %s (MESSAGES)",
				"RENAME %s Renamed", "RENAME Renamed %s", "COPY 1:* %s", "UNSUBSCRIBE %s", "DELETE %s", "EXAMINE %s"} {
				fmt.Fprintf(&script, "t%d.%d "+cmd+"\r\n", i, j, arg)
			}
		}
		out := mailboxScript(t, e.addr, script.String())
		if bytes.Contains(out, []byte("SERVERBUG")) {
			t.Fatalf("server error for %q:\n%s", name, out)
		}
	})
}

// mailboxScript logs in, selects INBOX, sends script and LOGOUT, and
// returns what the server wrote.
func mailboxScript(t *testing.T, addr, script string) []byte {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		fmt.Fprintf(c, "l LOGIN %s \"%s\"\r\ns SELECT INBOX\r\n%sz LOGOUT\r\n", testUser, testPass, script)
	}()
	out, err := io.ReadAll(c)
	if err != nil || !bytes.Contains(out, []byte("z OK LOGOUT")) {
		t.Fatalf("session did not reach LOGOUT: %v\n%s", err, out)
	}
	return out
}

// FuzzMailboxCommandLines sends one command that takes mailbox names with
// fuzzed arguments, so that the screening must read every syntax the way
// imapserver does (a space before "(" is optional, for one). No answer may
// be a server error. Literals are left out (FuzzMailboxNames sends names
// as literals).
// COPY and MOVE come with a sequence set and without one, which args then
// start with.
func FuzzMailboxCommandLines(f *testing.F) {
	cmds := []string{"CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "STATUS", "SELECT", "EXAMINE",
		"LIST", "LSUB", "COPY 1:*", "MOVE 1:*", "UID COPY 1:*", "UID MOVE 1:*", "COPY", "UID MOVE"}
	for i, args := range []string{"&Jjo", "a&b", "x (a&b)", "\"a&b\" (MESSAGES)", "x&(y", "x)&", "", "", "!(0&2 \"*\")",
		"\"\" !#$&'+,-.0123456789:;<=>?@^_`|[}%*", "a&b", "&Jjo(", "\"a&b", "0 a&b", "0:* INBOX"} {
		f.Add(byte(i), args)
	}
	e := newEnv(f)
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("fuzz", 10)), mailbox.AppendOptions{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, cmd byte, args string) {
		args = strings.NewReplacer("\r", "", "\n", "", "{", "[").Replace(args)
		out := mailboxScript(t, e.addr, "t "+cmds[int(cmd)%len(cmds)]+" "+args+"\r\n")
		if bytes.Contains(out, []byte("SERVERBUG")) {
			t.Fatalf("server error for %q:\n%s", args, out)
		}
	})
}

// FuzzCommandArgs sends SEARCH, a command that opens with a sequence set
// or UID set, or APPEND with fuzzed arguments: none may get a server error
// (imapserver's for sets, search keys and dates imapserver cannot parse),
// and the session must reach LOGOUT.
func FuzzCommandArgs(f *testing.F) {
	cmds := []string{"SEARCH", "UID SEARCH", "FETCH", "UID FETCH", "STORE", "UID STORE", "COPY", "UID MOVE", "UID EXPUNGE", "APPEND INBOX"}
	for i, args := range []string{"FOO", "OR 0 NOT (UID 0:*)", "SINCE 99-Foo-2020", "0 FLAGS", "1:0 FLAGS", "0 +FLAGS (x)", "0 INBOX", "0,1 INBOX",
		"1:*", `(\Seen) "not a date"`, "RETURN (COUNT) CHARSET UTF-8 HEADER x y SENTON \"1-Jan-2020\" $ ()", "NOT(ALL) 4294967296"} {
		f.Add(byte(i), args)
	}
	e := newEnv(f)
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("fuzz", 10)), mailbox.AppendOptions{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, cmd byte, args string) {
		args = strings.NewReplacer("\r", "", "\n", "", "{", "[").Replace(args)
		line := "t " + cmds[int(cmd)%len(cmds)] + " " + args + "\r\n"
		if strings.HasPrefix(cmds[int(cmd)%len(cmds)], "APPEND") {
			line = "t APPEND INBOX " + args + " {3+}\r\nabc\r\n"
		}
		out := mailboxScript(t, e.addr, line)
		if bytes.Contains(out, []byte("SERVERBUG")) {
			t.Fatalf("server error for %q:\n%s", line, out)
		}
	})
}

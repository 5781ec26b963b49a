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
// LIST pattern, with a fuzzed name as a quoted string and as an atom, to
// a logged-in session with INBOX selected. No answer may be a server error
// (NO [SERVERBUG]), and the session must reach LOGOUT.
func FuzzMailboxNames(f *testing.F) {
	for _, s := range []string{"!#$&'+,-.0123456789:;<=>?@^_`|[}%*", "&Jjo", "a&b", "Caf&AOk-", "Café/日本", "a/b/", "inbox/x",
		"&AOk-&AOk-", "\x01", "\xff", "a\\\"b", "%", "*/%", "&2D0-"} {
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
		for i, arg := range []string{quoted, atom} {
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
// be a server error. Literals are left out: their names pass unchecked; so
// are sequence sets (imapserver answers "0" with a server error).
func FuzzMailboxCommandLines(f *testing.F) {
	cmds := []string{"CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "STATUS", "SELECT", "EXAMINE",
		"LIST", "LSUB", "COPY 1:*", "MOVE 1:*", "UID COPY 1:*", "UID MOVE 1:*"}
	for i, args := range []string{"&Jjo", "a&b", "x (a&b)", "\"a&b\" (MESSAGES)", "x&(y", "x)&", "", "", "!(0&2 \"*\")",
		"\"\" !#$&'+,-.0123456789:;<=>?@^_`|[}%*", "a&b", "&Jjo(", "\"a&b"} {
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

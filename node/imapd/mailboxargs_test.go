package imapd

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestScreenMailboxArgs(t *testing.T) {
	const cannot = "NO [CANNOT]"
	for _, c := range []struct {
		line, pass, reply string // pass "=" for the line unchanged
	}{
		{`a NOOP`, "=", ""},
		{`a FETCH 1:* (FLAGS)`, "=", ""},
		{`a CREATE Work`, "=", ""},
		{`a CREATE "Caf&AOk-"`, "=", ""},
		{`a CREATE "Café"`, "=", ""},
		{`a CREATE &Jjo`, "", "a " + cannot + ` CREATE: mailbox name "&Jjo" is not valid modified UTF-7`},
		{`b12 create "a\"&b"`, "", "b12 " + cannot + ` CREATE: mailbox name "a\"&b"`},
		{`a RENAME Work a&b`, "", "a " + cannot + ` RENAME: mailbox name "a&b"`},
		{`a RENAME a&b {3}`, "", "a " + cannot + ` RENAME: mailbox name "a&b"`},
		{`a RENAME a&b {3+}`, "=", ""},
		{`a RENAME {3} a&b`, "=", ""},
		{`a APPEND &Jjo (\Seen) {5}`, "", "a " + cannot + ` APPEND`},
		{`a UID MOVE 1:* &Jjo`, "", "a " + cannot + ` UID MOVE`},
		{`a COPY 1 INBOX`, "=", ""},
		{`a STATUS a&b (MESSAGES)`, "", "a " + cannot + " STATUS"},
		{`a CREATE (x)`, "=", ""},
		{`a CREATE "unended`, "", `a BAD [CLIENTBUG] CREATE: a quoted mailbox name does not end on its line`},
		{`a RENAME x "unended\"`, "", `a BAD [CLIENTBUG] RENAME: a quoted mailbox name`},
		{`a LIST "" "unended`, "", `a BAD [CLIENTBUG] LIST: a quoted mailbox name`},
		{`a SEARCH "unended`, "=", ""},
		{`a CREATE Ü`, "", `a BAD [CLIENTBUG] CREATE: syntax error in mailbox name`},
		{`a CREATE ab)c`, "=", ""},
		{`a RENAME a&b)c Renamed`, "", `a BAD [CLIENTBUG] RENAME: syntax error in mailbox name "a&b)"`},
		{`a RENAME a&b`, "", "a " + cannot + ` RENAME: mailbox name "a&b"`},
		{`a CREATE "a&b"x`, "", "a " + cannot + ` CREATE: mailbox name "a&b"`},
		{`a LIST "" ("a&b"x`, `a LIST "" ("a&-b"x`, ""},
		{`a LIST "" (a b&c`, `a LIST "" (a "b&-c"`, ""},
		{`a LIST "" *`, "=", ""},
		{`a LIST "" &*`, `a LIST "" "&-*"`, ""},
		{`a LIST "&" "%"`, `a LIST "&-" "%"`, ""},
		{`a LSUB "" a&b%`, `a LSUB "" "a&-b%"`, ""},
		{`a LIST (SUBSCRIBED) "" ("a&b" INBOX &Jjo) RETURN (CHILDREN)`, `a LIST (SUBSCRIBED) "" ("a&-b" INBOX "&-Jjo") RETURN (CHILDREN)`, ""},
		{"a LIST \"\" \"\\\\&\x01\"", "a LIST \"\" \"\\\\&-&AAE-\"", ""},
		{`a LIST "" {5}`, "=", ""},
		{`a LIST !(0&2 "*")`, `a LIST !("0&-2" "*")`, ""},
		{`a LIST(SUBSCRIBED) x&y(z&w)`, `a LIST(SUBSCRIBED) "x&-y"("z&-w")`, ""},
		{`a RENAME x(a&b)`, "=", ""},
		{`a RENAME x (a&b)`, "=", ""},
		{`a UID COPY 1:*,$ &Jjo`, "", "a " + cannot + ` UID COPY`},
		{`a COPY 1 &Jjo(`, "", "a " + cannot + ` COPY`},
		{`a CREATE  &Jjo`, "=", ""},
		{`a CREATE &Jjo `, "", "a " + cannot + ` CREATE`},
		{`a RENAME &Jjo `, "", "a " + cannot + ` RENAME`},
		{`a LIST "" Ü*`, "", `a BAD [CLIENTBUG] LIST: syntax error in mailbox name`},
		{`a LIST "" ()`, "=", ""},
		{`* CREATE &Jjo`, "=", ""},
	} {
		line := []byte(c.line + "\r\n")
		pass, reply := screenMailboxArgs(line)
		want := c.pass + "\r\n"
		if c.pass == "=" {
			want = string(line)
		}
		if c.pass == "" {
			want = ""
		}
		if string(pass) != want || !strings.HasPrefix(string(reply), c.reply) || (c.reply == "") != (reply == nil) {
			t.Errorf("%q: passed %q, replied %q; want %q and a reply starting %q", c.line, pass, reply, want, c.reply)
		}
	}
}

// FuzzScreenMailboxArgs: no panic; a reply is one line for the command's
// tag; a rewritten line is one that passes unchanged; the same for the
// whole input as a held command.
func FuzzScreenMailboxArgs(f *testing.F) {
	for _, s := range []string{`a LIST "" !#$&'+,-.0123456789:;<=>?@^_` + "`" + `|[}%*`, `a CREATE &Jjo`,
		`a LIST (SUBSCRIBED) "" ("a&b" INBOX) RETURN (CHILDREN)`, `a RENAME "x\"y" {4+}`, `a UID COPY 1:* "&AOk-"`, `a LSUB & &`,
		"a CREATE {4}\r\n&Jjo", "a SELECT {3+}\r\n&-x", "a RENAME {1}\r\nx {4}\r\n&Jjo", "a LIST {0}\r\n (x {2+}\r\n&\r \"%\")",
		"a APPEND {4+}\r\n&Jjo (\\Seen) {3}\r\nabc", "a UID MOVE 1:* {5+}\r\na\r\n&b", "a LSUB {1}\r\n& {3}\r\n\xff*&"} {
		f.Add([]byte(s + "\r\n"))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		segs := splitHeld(line)
		if pass, reply := screenHeldMailboxArgs(segs); reply != nil {
			tag, _, _ := bytes.Cut(line, []byte(" "))
			if pass != nil || !bytes.HasPrefix(reply, append(tag, ' ')) || bytes.IndexAny(reply, "\r\n") != len(reply)-2 {
				t.Fatalf("%q: passed %q, replied %q", line, pass, reply)
			}
		} else if held := bytes.Join(pass, nil); !bytes.Equal(held, line) {
			again, reply := screenHeldMailboxArgs(pass)
			if !bytes.Equal(bytes.Join(again, nil), held) || reply != nil {
				t.Fatalf("%q rewritten as %q, then as %q (reply %q)", line, held, again, reply)
			}
		}
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		pass, reply := screenMailboxArgs(line)
		if reply != nil {
			tag, _, _ := bytes.Cut(line, []byte(" "))
			if pass != nil || !bytes.HasPrefix(reply, append(tag, ' ')) || bytes.IndexAny(reply, "\r\n") != len(reply)-2 {
				t.Fatalf("%q: passed %q, replied %q", line, pass, reply)
			}
			return
		}
		if !bytes.Equal(pass, line) {
			again, reply := screenMailboxArgs(pass)
			if !bytes.Equal(again, pass) || reply != nil {
				t.Fatalf("%q rewritten as %q, then as %q (reply %q)", line, pass, again, reply)
			}
		}
	})
}

func TestScreenHeldMailboxArgs(t *testing.T) {
	const cannot = `NO [CANNOT] `
	for _, c := range []struct {
		segs  []string
		pass  []string // nil: as segs
		reply string   // the start of the reply, or "" for none
	}{
		{[]string{"a CREATE {4+}\r\n", "&Jjo", "\r\n"}, nil, "a " + cannot + `CREATE: mailbox name "&Jjo"`},
		{[]string{"a CREATE {4+}\r\n", "&-Jo", "\r\n"}, nil, ""},
		{[]string{"a SELECT {3+}\r\n", "&-x", "\r\n"}, nil, ""},
		{[]string{"a RENAME {1+}\r\n", "x", " {4+}\r\n", "&Jjo", "\r\n"}, nil, "a " + cannot + `RENAME: mailbox name "&Jjo"`},
		{[]string{"a RENAME &Jjo {1+}\r\n", "x", "\r\n"}, nil, "a " + cannot + `RENAME: mailbox name "&Jjo"`},
		{[]string{"a APPEND {4+}\r\n", "&Jjo", " (\\Seen) {3+}\r\n"}, nil, "a " + cannot + `APPEND: mailbox name "&Jjo"`},
		{[]string{"a APPEND &Jjo {3+}\r\n"}, nil, "a " + cannot + `APPEND: mailbox name "&Jjo"`},
		{[]string{"a COPY 1:* {4+}\r\n", "&Jjo", "\r\n"}, nil, "a " + cannot + `COPY: mailbox name "&Jjo"`},
		{[]string{"a STATUS {4+}\r\n", "&Jjo", " (MESSAGES)\r\n"}, nil, "a " + cannot + `STATUS: mailbox name "&Jjo"`},
		{[]string{"a CREATE {4+}\r\n", "&Jjo", "x\r\n"}, nil, "a " + cannot + `CREATE: mailbox name "&Jjo"`},
		{[]string{"a CREATE {5+}\r\n", "INBOX", "\r\n"}, nil, ""},
		{[]string{"a LIST \"\" {4+}\r\n", "&Jjo", "\r\n"}, []string{"a LIST \"\" {5+}\r\n", "&-Jjo", "\r\n"}, ""},
		{[]string{"a LIST {1+}\r\n", "&", " ({2+}\r\n", "\x01*", " %)\r\n"},
			[]string{"a LIST {2+}\r\n", "&-", " ({6+}\r\n", "&AAE-*", " %)\r\n"}, ""},
		{[]string{"a LSUB {1+}\r\n", "&", " &\r\n"}, []string{"a LSUB {2+}\r\n", "&-", " \"&-\"\r\n"}, ""},
		{[]string{"a LIST \"\" {4096+}\r\n", strings.Repeat("\x01", 4096), "\r\n"}, nil, "a BAD [TOOBIG] LIST: pattern"},
	} {
		segs := make([][]byte, len(c.segs))
		for i, s := range c.segs {
			segs[i] = []byte(s)
		}
		pass, reply := screenHeldMailboxArgs(segs)
		want := c.pass
		if want == nil && c.reply == "" {
			want = c.segs
		}
		got := make([]string, len(pass))
		for i, p := range pass {
			got[i] = string(p)
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) && !(len(got) == 0 && len(want) == 0) ||
			!strings.HasPrefix(string(reply), c.reply) || (c.reply == "") != (reply == nil) {
			t.Errorf("%q: passed %q, replied %q; want %q and a reply starting %q", c.segs, got, reply, want, c.reply)
		}
	}
}

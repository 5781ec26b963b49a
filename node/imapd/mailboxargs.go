package imapd

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// screenMailboxArgs looks at one command line as the client sent it,
// before imapserver parses it, and checks its mailbox names (RFC 3501
// 5.1.3): imapserver answers a name it cannot decode with NO [SERVERBUG]
// before any Session method runs. It returns the line to pass on, or a
// reply to send instead of it.
//
// A LIST or LSUB reference or pattern that is not modified UTF-7 is
// rewritten so that it stands for itself, every character literal but the
// wildcards (RFC 3501 6.3.8). For any other command such a name is
// refused with NO [CANNOT] and the reason. An atom that imapserver would
// cut short and fail to decode, and a quoted string that does not end on
// its line (imapserver would read on into the next), are refused with
// BAD. A name sent as a literal is not on the line and is left to
// screenHeldMailboxArgs, as is a name refused with NO on a line that ends
// with a non-synchronizing literal, as that literal is on its way; a line
// whose syntax imapserver refuses before it decodes a name passes.
func screenMailboxArgs(line []byte) (pass, reply []byte) {
	return screenNames(line, false)
}

// screenHeldMailboxArgs is screenMailboxArgs for a command held whole (its
// lines and literals in order, segs; for APPEND up to the announcement of
// its message literal): it checks the names sent as literals too, and
// refuses a name whatever literal follows. A pattern literal that is not
// modified UTF-7 is rewritten into a literal that decodes to it. It
// returns the parts to pass on, or a reply to send instead of them.
func screenHeldMailboxArgs(segs [][]byte) (pass [][]byte, reply []byte) {
	held := bytes.Join(segs, nil)
	out, reply := screenNames(held, true)
	if reply != nil {
		return nil, reply
	}
	if bytes.Equal(out, held) {
		return segs, nil
	}
	return splitHeld(out), nil
}

// screenNames checks the mailbox names in b, a command line or, if held,
// a command held whole.
func screenNames(b []byte, held bool) (pass, reply []byte) {
	sc := &argScanner{line: b}
	tag, cmd, ok := sc.command()
	if !ok {
		return b, nil
	}
	args, ok := sc.mailboxArgs(cmd)
	if !ok {
		return b, nil
	}
	for _, a := range args {
		if a.unended {
			return nil, fmt.Appendf(nil, "%s BAD [CLIENTBUG] %s: a quoted mailbox name does not end on its line\r\n", tag, cmd)
		}
		_, err := decodeMUTF7(a.value)
		if err == nil {
			continue
		}
		if a.pattern && !a.cut {
			if a.literal && len(encodeMUTF7Literal(a.value)) > maxLiteral {
				return nil, fmt.Appendf(nil, "%s BAD [TOOBIG] %s: pattern %s is too long with its characters escaped (at most %d bytes)\r\n",
					tag, cmd, textQuote(a.value), maxLiteral)
			}
			continue
		}
		if _, sync, lit := literalAtEnd(b); lit && !sync && !held {
			return b, nil
		}
		if a.cut {
			return nil, fmt.Appendf(nil, "%s BAD [CLIENTBUG] %s: syntax error in mailbox name %s: a name with other characters than an atom's goes in a quoted string\r\n",
				tag, cmd, textQuote(string(b[a.start:min(a.end+1, len(b))])))
		}
		return nil, fmt.Appendf(nil, "%s NO [CANNOT] %s: mailbox name %s is not valid modified UTF-7 (RFC 3501 5.1.3): %v\r\n",
			tag, cmd, textQuote(a.value), err)
	}
	return rewritePatterns(b, args), nil
}

// splitHeld splits a command held whole into its lines and literals, as
// extConn hands them to imapserver.
func splitHeld(b []byte) [][]byte {
	var segs [][]byte
	for len(b) > 0 {
		end := bytes.IndexByte(b, '\n') + 1
		if end == 0 {
			end = len(b)
		}
		segs, b = append(segs, b[:end]), b[end:]
		if n, _, ok := literalAtEnd(segs[len(segs)-1]); ok && n <= int64(len(b)) {
			segs, b = append(segs, b[:n]), b[n:]
		}
	}
	return segs
}

// rewritePatterns replaces each pattern that is not modified UTF-7 by a
// quoted string that decodes to it, or a pattern sent as a literal by a
// non-synchronizing literal that decodes to it.
func rewritePatterns(line []byte, args []mailboxArg) []byte {
	out := line
	for i := len(args) - 1; i >= 0; i-- {
		a := args[i]
		if _, err := decodeMUTF7(a.value); err == nil || !a.pattern {
			continue
		}
		repl := `"` + imapQuoted(encodeMUTF7Literal(a.value)) + `"`
		if a.literal {
			enc := encodeMUTF7Literal(a.value)
			repl = fmt.Sprintf("{%d+}\r\n%s", len(enc), enc)
		}
		out = append(append(append([]byte(nil), out[:a.start]...), repl...), out[a.end:]...)
	}
	return out
}

// imapQuoted escapes the two characters a quoted string escapes (RFC 3501
// 9: quoted-specials).
func imapQuoted(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// textQuote shows a client's name in a response text: ASCII only, and at
// most 64 bytes of it.
func textQuote(s string) string {
	if len(s) > 64 {
		return strconv.QuoteToASCII(s[:64]) + "..."
	}
	return strconv.QuoteToASCII(s)
}

// mailboxArg is a mailbox name on a command line: its bytes are
// line[start:end] and its value the string they spell.
type mailboxArg struct {
	start, end int
	value      string
	pattern    bool // a LIST or LSUB reference or pattern
	cut        bool // an atom followed by a byte that may not follow it
	literal    bool // a literal, with its data
	unended    bool // a quoted string without its closing quote
}

// argScanner reads the arguments of one command line the way imapserver's
// decoder does, far enough to find the mailbox names.
type argScanner struct {
	line []byte
	pos  int
}

// command reads the tag, the command name ("UID COPY" for UID commands)
// and the separator before the first argument.
func (sc *argScanner) command() (tag, cmd string, ok bool) {
	tag = sc.run(isAtomChar)
	if !validTag([]byte(tag)) || !sc.space() {
		return "", "", false
	}
	cmd = strings.ToUpper(sc.run(isAtomChar))
	if cmd == "UID" {
		if !sc.space() {
			return "", "", false
		}
		cmd += " " + strings.ToUpper(sc.run(isAtomChar))
	}
	return tag, cmd, cmd != "" && sc.space()
}

// run reads the bytes for which valid holds.
func (sc *argScanner) run(valid func(byte) bool) string {
	start := sc.pos
	for sc.pos < len(sc.line) && valid(sc.line[sc.pos]) {
		sc.pos++
	}
	return string(sc.line[start:sc.pos])
}

// mailboxArgs returns the mailbox names of a command that imapserver
// decodes: those before the first literal whose data the line does not
// hold, syntax error or cut atom, as imapserver decodes each name as soon
// as it has read it. known is false for commands without mailbox names.
func (sc *argScanner) mailboxArgs(cmd string) (args []mailboxArg, known bool) {
	switch cmd {
	case "CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE", "SELECT", "EXAMINE", "STATUS", "APPEND":
		return sc.names(1, false), true
	case "RENAME":
		return sc.names(2, false), true
	case "COPY", "MOVE", "UID COPY", "UID MOVE":
		if sc.run(isSeqSetChar) == "" || !sc.space() {
			return nil, true
		}
		return sc.names(1, false), true
	case "LSUB":
		return sc.names(2, true), true
	case "LIST":
		return sc.listArgs(), true
	}
	return nil, false
}

// names reads up to n mailbox names separated by spaces; with patterns
// they are a LIST reference and pattern (list-mailbox).
func (sc *argScanner) names(n int, patterns bool) []mailboxArg {
	var args []mailboxArg
	for i := 0; i < n && (i == 0 || sc.space()); i++ {
		a, read, next := sc.astring(patterns && i > 0, false)
		if read {
			a.pattern = patterns
			args = append(args, a)
		}
		if !next {
			break
		}
	}
	return args
}

// listArgs reads LIST [(select-options) SP] reference SP patterns, where
// patterns is one pattern or a parenthesized list (RFC 5258 6).
func (sc *argScanner) listArgs() []mailboxArg {
	if sc.peek() == '(' {
		end := bytes.IndexByte(sc.line[sc.pos:], ')')
		if end < 0 {
			return nil
		}
		sc.pos += end + 1
		if !sc.space() {
			return nil
		}
	}
	args := sc.names(1, true)
	if len(args) == 0 || args[0].cut || !sc.space() {
		return args
	}
	inList := sc.peek() == '('
	if inList {
		sc.pos++
	}
	for i := 0; i == 0 || (inList && sc.space()); i++ {
		a, read, next := sc.astring(true, inList)
		if read {
			a.pattern = true
			args = append(args, a)
		}
		if !next || sc.peek() == ')' {
			break
		}
	}
	return args
}

func (sc *argScanner) peek() byte {
	if sc.pos < len(sc.line) {
		return sc.line[sc.pos]
	}
	return 0
}

// space reads the separator between two arguments as imapserver's
// decoder does: a space not followed by the end of the line, or nothing
// before a parenthesized list.
func (sc *argScanner) space() bool {
	switch sc.peek() {
	case '(':
		return true
	case ' ':
		if sc.pos+1 < len(sc.line) && sc.line[sc.pos+1] != '\r' && sc.line[sc.pos+1] != '\n' {
			sc.pos++
			return true
		}
	}
	return false
}

// astring reads a quoted string, a literal whose data the line holds (a
// literal's announcement ends its line; if the data is not held, no name
// is read) or an atom, of list-mailbox characters if
// list is set (RFC 3501 9). read says whether it read a name, next
// whether a separator follows it: a space, the end of the line, or with
// inList ")". imapserver decodes an atom before it looks at what follows,
// so an atom followed by any other byte is read too, cut.
func (sc *argScanner) astring(list, inList bool) (a mailboxArg, read, next bool) {
	start := sc.pos
	switch sc.peek() {
	case '"':
		value, ok := sc.quoted()
		if !ok {
			return mailboxArg{start: start, end: start, unended: true}, true, false
		}
		a = mailboxArg{start: start, end: sc.pos, value: value}
	case '{':
		value, ok := sc.literal()
		if !ok {
			return mailboxArg{}, false, false
		}
		a = mailboxArg{start: start, end: sc.pos, value: value, literal: true}
	default:
		for sc.pos < len(sc.line) && (isAStringChar(sc.line[sc.pos]) || list && isWildcard(sc.line[sc.pos])) {
			sc.pos++
		}
		if sc.pos == start {
			return mailboxArg{}, false, false
		}
		a = mailboxArg{start: start, end: sc.pos, value: string(sc.line[start:sc.pos])}
	}
	switch sc.peek() {
	case ' ', '\r', '\n', '(':
		return a, true, true
	case ')':
		if inList {
			return a, true, true
		}
	}
	a.cut = !a.literal && sc.line[start] != '"'
	return a, true, false
}

// quoted reads a quoted string: a backslash takes the next byte as it is.
func (sc *argScanner) quoted() (string, bool) {
	var b strings.Builder
	for i := sc.pos + 1; i < len(sc.line); i++ {
		c := sc.line[i]
		switch {
		case c == '"':
			sc.pos = i + 1
			return b.String(), true
		case c == '\r' || c == '\n':
			return "", false
		case c == '\\':
			if i++; i == len(sc.line) || sc.line[i] == '\r' || sc.line[i] == '\n' {
				return "", false
			}
			b.WriteByte(sc.line[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}

// isAtomChar is imapserver's ATOM-CHAR.
func isAtomChar(c byte) bool { return c != ']' && isAStringChar(c) }

// isAStringChar is imapserver's ASTRING-CHAR: ATOM-CHAR or "]".
func isAStringChar(c byte) bool {
	switch c {
	case '(', ')', '{', ' ', '%', '*', '"', '\\':
		return false
	}
	return !unicode.IsControl(rune(c))
}

// isSeqSetChar holds for the characters of a sequence set (RFC 9051 9).
func isSeqSetChar(c byte) bool {
	return c >= '0' && c <= '9' || c == ':' || c == ',' || c == '*' || c == '$'
}

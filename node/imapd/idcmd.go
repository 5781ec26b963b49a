package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// What is kept of a client's ID parameters: RFC 2971 3.3 bounds field
// names to 30 bytes, values to 1024 bytes and the list to 30 pairs, and
// lets the server ignore or truncate what exceeds them. More is read and
// ignored, never held.
const (
	maxIDPairs    = 30
	maxIDField    = 30
	maxIDValue    = 1024
	serverIDValue = `("name" "Yggpost" "vendor" "Yggpost" "support-url" "https://github.com/yggpost/yggpost")`
)

// refusal is a tagged response (without the tag) that refuses a command.
type refusal string

func (r refusal) Error() string { return string(r) }

// idSyntax is the refusal of a malformed ID command.
func idSyntax(format string, args ...any) refusal {
	return refusal("BAD [CLIENTBUG] ID syntax error: " + fmt.Sprintf(format, args...))
}

// isIDCommand reports whether start (the start of a line) is "tag ID"
// followed by SP or the end of the line.
func isIDCommand(start []byte) bool {
	sp := bytes.IndexByte(start, ' ')
	if sp <= 0 || !validTag(start[:sp]) {
		return false
	}
	rest := start[sp+1:]
	if len(rest) < 3 || !bytes.EqualFold(rest[:2], []byte("ID")) {
		return false
	}
	return rest[2] == ' ' || rest[2] == '\r' || rest[2] == '\n'
}

// validTag reports whether tag is made of IMAP tag characters (RFC 9051 9:
// astring characters except "+") that imapserver also reads as a tag (an
// atom: no "]").
func validTag(tag []byte) bool {
	for _, b := range tag {
		if b <= ' ' || b >= 0x7f || bytes.IndexByte([]byte(`(){%*"\+]`), b) >= 0 {
			return false
		}
	}
	return len(tag) > 0
}

// answerID reads an ID command from the client and answers it (RFC 2971
// 3.1): "* ID" with the server's fields and a tagged OK, or a tagged BAD
// for a malformed command or a literal extConn does not take, after which
// the rest of the command is skipped.
func (c *extConn) answerID() error {
	p := &idParser{r: c.src, accept: c.acceptIDLiteral}
	tag, params, err := p.command()
	if r, ok := errors.AsType[refusal](err); ok {
		c.log.Info("imap ID refused", "response", string(r))
		if err := c.writeResponse(fmt.Appendf(nil, "%s %s\r\n", tag, r)); err != nil {
			return err
		}
		return c.skipCommand(p.tail, p.atEOL)
	}
	if err != nil {
		return err
	}
	c.log.Debug("imap client id", "client", params["name"], "version", params["version"])
	return c.writeResponse(fmt.Appendf(nil, "* ID %s\r\n%s OK ID completed\r\n", serverIDValue, tag))
}

// acceptIDLiteral decides on a literal of n bytes in ID: a synchronizing
// one of at most maxLiteral bytes is asked for; a non-synchronizing one
// may be of any size after login (LITERAL+), at most maxLiteral before
// (LITERAL-).
func (c *extConn) acceptIDLiteral(n int64, sync bool) error {
	authed := c.authed.Load()
	if n > maxLiteral && (sync || !authed) {
		return refusal(literalTooBig(n, authed))
	}
	if sync {
		return c.writeResponse([]byte("+ Ready for literal data\r\n"))
	}
	return nil
}

// idParser reads one ID command from the client's stream (RFC 2971 4,
// with the pairs separated by SP as in its examples):
//
//	id             = tag SP "ID" SP id-params-list CRLF
//	id-params-list = "(" [string SP nstring *(SP string SP nstring)] ")" / nil
//
// It holds no more than it keeps. After an error, tail and atEOL say where
// in the command's current line it stopped.
type idParser struct {
	r      *bufio.Reader
	accept func(n int64, sync bool) error // decides on a literal; asks for a synchronizing one
	tail   []byte                         // the last bytes of the current line
	atEOL  bool                           // the last byte read ended a line
}

// command parses the command and returns its tag and the client's fields,
// names lower-cased.
func (p *idParser) command() (tag string, params map[string]string, err error) {
	var t []byte
	for {
		b, err := p.next()
		if err != nil {
			return "", nil, err
		}
		if b == ' ' {
			break
		}
		t = append(t, b)
	}
	tag = string(t)
	if err := p.expect("ID "); err != nil {
		return tag, nil, err
	}
	if params, err = p.params(); err != nil {
		return tag, nil, err
	}
	return tag, params, p.lineEnd()
}

func (p *idParser) params() (map[string]string, error) {
	params := map[string]string{}
	if b, err := p.peek(); err != nil || b != '(' {
		return params, p.expect("NIL")
	}
	p.next()
	for pairs := 0; ; pairs++ {
		if b, err := p.peek(); err != nil || b == ')' {
			_, err := p.next()
			return params, err
		}
		if pairs > 0 {
			if err := p.expect(" "); err != nil {
				return nil, err
			}
		}
		key, val, err := p.pair()
		if err != nil {
			return nil, err
		}
		if pairs < maxIDPairs {
			params[asciiLower(key)] = string(val)
		}
	}
}

// asciiLower lower-cases the ASCII letters of b; other bytes stay as they
// are, so the result is as long as b.
func asciiLower(b []byte) string {
	out := []byte(string(b))
	for i, c := range out {
		if 'A' <= c && c <= 'Z' {
			out[i] = c + 'a' - 'A'
		}
	}
	return string(out)
}

func (p *idParser) pair() (key, val []byte, err error) {
	if key, err = p.str(maxIDField); err != nil {
		return nil, nil, err
	}
	if err := p.expect(" "); err != nil {
		return nil, nil, err
	}
	if b, err := p.peek(); err == nil && (b == 'N' || b == 'n') {
		return key, nil, p.expect("NIL")
	}
	val, err = p.str(maxIDValue)
	return key, val, err
}

// str reads a quoted string or a literal and keeps at most max bytes of it.
func (p *idParser) str(max int) ([]byte, error) {
	b, err := p.next()
	switch {
	case err != nil:
		return nil, err
	case b == '{':
		return p.literal(max)
	case b != '"':
		return nil, idSyntax("expected a string, got %q", b)
	}
	var kept []byte
	for {
		b, err := p.next()
		switch {
		case err != nil:
			return nil, err
		case b == '"':
			return kept, nil
		case b == '\\':
			if b, err = p.next(); err != nil {
				return nil, err
			} else if b != '"' && b != '\\' {
				return nil, idSyntax("bad escape in quoted string")
			}
		case b == '\r' || b == '\n' || b == 0:
			return nil, idSyntax("bad character in quoted string")
		}
		if len(kept) < max {
			kept = append(kept, b)
		}
	}
}

// literal reads a literal after its "{", keeps at most max bytes of it and
// discards the rest.
func (p *idParser) literal(max int) ([]byte, error) {
	var spec []byte
	for {
		b, err := p.next()
		if err != nil {
			return nil, err
		}
		if b == '\n' {
			break
		}
		if spec = append(spec, b); len(spec) > 24 {
			return nil, idSyntax("bad literal")
		}
	}
	n, sync, ok := literalAtEnd(append([]byte("{"), spec...))
	if !ok || bytes.IndexByte(spec, '}') != len(bytes.TrimSuffix(spec, []byte("\r")))-1 {
		return nil, idSyntax("bad literal {%s", strconv.Quote(string(spec)))
	}
	if err := p.accept(n, sync); err != nil {
		return nil, err
	}
	kept := make([]byte, min(n, int64(max)))
	if _, err := io.ReadFull(p.r, kept); err != nil {
		return nil, fmt.Errorf("read ID literal: %w", err)
	}
	if _, err := io.CopyN(io.Discard, p.r, n-int64(len(kept))); err != nil {
		return nil, fmt.Errorf("skip ID literal: %w", err)
	}
	p.tail, p.atEOL = p.tail[:0], false // the line goes on after the literal
	return kept, nil
}

// lineEnd reads the end of the command: an optional SP (as imapserver
// takes it), then CRLF or LF.
func (p *idParser) lineEnd() error {
	if b, err := p.peek(); err == nil && b == ' ' {
		p.next()
	}
	if b, err := p.peek(); err == nil && b == '\r' {
		p.next()
	}
	return p.expect("\n")
}

// expect reads w (case-insensitively), or stops before the first byte
// that differs.
func (p *idParser) expect(w string) error {
	for i := 0; i < len(w); i++ {
		b, err := p.peek()
		if err != nil {
			return err
		}
		if b != w[i] && !bytes.EqualFold([]byte{b}, []byte{w[i]}) {
			return idSyntax("expected %q, got %q", w[i:], b)
		}
		p.next()
	}
	return nil
}

func (p *idParser) peek() (byte, error) {
	b, err := p.r.Peek(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// next reads a byte of a line, noting where the line ends.
func (p *idParser) next() (byte, error) {
	b, err := p.r.ReadByte()
	if err != nil {
		return 0, err
	}
	if p.atEOL {
		p.tail, p.atEOL = p.tail[:0], false
	}
	if len(p.tail) == 64 {
		p.tail = append(p.tail[:0], p.tail[32:]...)
	}
	p.tail = append(p.tail, b)
	p.atEOL = b == '\n'
	return b, nil
}

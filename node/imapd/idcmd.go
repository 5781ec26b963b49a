package imapd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Bounds from RFC 2971 3.3 on what a client may send in ID.
const (
	maxIDPairs    = 30
	maxIDField    = 30
	maxIDValue    = 1024
	maxIDCommand  = 64 << 10
	serverIDValue = `("name" "Yggpost" "vendor" "Yggpost" "support-url" "https://github.com/yggpost/yggpost")`
)

var errIDSyntax = errors.New("ID syntax error")

// isIDCommand reports whether line is "tag ID" followed by SP or the end
// of the line.
func isIDCommand(line []byte) bool {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || !validTag(line[:sp]) {
		return false
	}
	rest := line[sp+1:]
	if len(rest) < 2 || !bytes.EqualFold(rest[:2], []byte("ID")) {
		return false
	}
	rest = rest[2:]
	return len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\r' || rest[0] == '\n')
}

// validTag reports whether tag is made of IMAP tag characters (RFC 9051 9:
// astring characters except "+").
func validTag(tag []byte) bool {
	for _, b := range tag {
		if b <= ' ' || b >= 0x7f || bytes.IndexByte([]byte(`(){%*"\+`), b) >= 0 {
			return false
		}
	}
	return len(tag) > 0
}

// answerID reads the rest of an ID command that starts with line (its
// literals included) and answers it (RFC 2971 3.1): "* ID" with the
// server's fields and a tagged OK, or a tagged BAD.
func (c *extConn) answerID(line []byte) error {
	tag := string(line[:bytes.IndexByte(line, ' ')])
	cmd, err := c.readIDCommand(line)
	if err != nil && !errors.Is(err, errIDSyntax) {
		return err
	}
	var params map[string]string
	if err == nil {
		params, err = parseIDCommand(cmd)
	}
	if err != nil {
		c.log.Info("imap ID refused", "err", err)
		return c.writeResponse(fmt.Appendf(nil, "%s BAD %v\r\n", tag, err))
	}
	c.log.Debug("imap client id", "client", params["name"], "version", params["version"])
	return c.writeResponse(fmt.Appendf(nil, "* ID %s\r\n%s OK ID completed\r\n", serverIDValue, tag))
}

// readIDCommand collects the whole command: each line ending in a literal
// is followed by the literal (after a continuation request for a
// synchronizing one) and the next line.
func (c *extConn) readIDCommand(line []byte) ([]byte, error) {
	cmd := append([]byte(nil), line...)
	for {
		n, sync, ok := literalAtEnd(line)
		if !ok {
			return cmd, nil
		}
		if n > maxIDValue || int64(len(cmd))+n > maxIDCommand {
			if sync {
				return nil, fmt.Errorf("%w: literal of %d bytes is too long", errIDSyntax, n)
			}
			return nil, c.discard(n) // a refused non-synchronizing literal still arrives
		}
		if sync {
			if err := c.writeResponse([]byte("+ Ready for literal data\r\n")); err != nil {
				return nil, err
			}
		}
		lit := make([]byte, n)
		if _, err := io.ReadFull(c.src, lit); err != nil {
			return nil, fmt.Errorf("read ID literal: %w", err)
		}
		next, complete, err := c.readLine()
		if err != nil {
			return nil, err
		}
		if !complete {
			return nil, fmt.Errorf("ID command line too long")
		}
		cmd = append(append(cmd, lit...), next...)
		line = next
	}
}

// discard skips a refused non-synchronizing literal and the rest of its
// command line, then reports the refusal.
func (c *extConn) discard(n int64) error {
	if _, err := io.CopyN(io.Discard, c.src, n); err != nil {
		return fmt.Errorf("skip ID literal: %w", err)
	}
	if _, err := c.src.ReadSlice('\n'); err != nil {
		return fmt.Errorf("skip ID command: %w", err)
	}
	return fmt.Errorf("%w: literal of %d bytes is too long", errIDSyntax, n)
}

// parseIDCommand parses a whole "tag ID params CRLF" command, literals
// inline as "{n}\r\n" or "{n+}\r\n" followed by n bytes (RFC 2971 4):
//
//	id-params-list = "(" *(string SP nstring) ")" / nil
//
// It returns the client's fields; field names are lower-cased.
func parseIDCommand(cmd []byte) (map[string]string, error) {
	p := &idParser{b: cmd}
	p.b = p.b[bytes.IndexByte(p.b, ' ')+1:] // tag
	if !p.word("ID ") {
		return nil, fmt.Errorf("%w: expected ID SP", errIDSyntax)
	}
	params, err := p.params()
	if err != nil {
		return nil, err
	}
	if !p.word("\r\n") && !p.word("\n") {
		return nil, fmt.Errorf("%w: unexpected text after the parameters", errIDSyntax)
	}
	if len(p.b) > 0 {
		return nil, fmt.Errorf("%w: unexpected text after the command", errIDSyntax)
	}
	return params, nil
}

type idParser struct{ b []byte }

// word consumes w (case-insensitively) if it comes next.
func (p *idParser) word(w string) bool {
	if len(p.b) < len(w) || !bytes.EqualFold(p.b[:len(w)], []byte(w)) {
		return false
	}
	p.b = p.b[len(w):]
	return true
}

func (p *idParser) params() (map[string]string, error) {
	params := map[string]string{}
	if p.word("NIL") {
		return params, nil
	}
	if !p.word("(") {
		return nil, fmt.Errorf("%w: expected ( or NIL", errIDSyntax)
	}
	for i := 0; !p.word(")"); i++ {
		if i > 0 && !p.word(" ") {
			return nil, fmt.Errorf("%w: expected SP between fields", errIDSyntax)
		}
		if i == maxIDPairs {
			return nil, fmt.Errorf("%w: more than %d fields", errIDSyntax, maxIDPairs)
		}
		key, err := p.str(maxIDField, false)
		if err != nil {
			return nil, err
		}
		if !p.word(" ") {
			return nil, fmt.Errorf("%w: expected SP after field %q", errIDSyntax, key)
		}
		val, err := p.str(maxIDValue, true)
		if err != nil {
			return nil, err
		}
		params[string(bytes.ToLower([]byte(key)))] = val
	}
	return params, nil
}

// str parses a quoted string or a literal of at most max bytes, or NIL if
// nilOK.
func (p *idParser) str(max int, nilOK bool) (string, error) {
	if nilOK && p.word("NIL") {
		return "", nil
	}
	if len(p.b) > 0 && p.b[0] == '{' {
		return p.literal(max)
	}
	if !p.word(`"`) {
		return "", fmt.Errorf("%w: expected a string", errIDSyntax)
	}
	var out []byte
	for len(p.b) > 0 && len(out) <= max {
		b := p.b[0]
		p.b = p.b[1:]
		switch {
		case b == '"':
			return string(out), nil
		case b == '\\' && len(p.b) > 0 && (p.b[0] == '"' || p.b[0] == '\\'):
			out, p.b = append(out, p.b[0]), p.b[1:]
		case b == '\\' || b == '\r' || b == '\n' || b == 0:
			return "", fmt.Errorf("%w: bad character in quoted string", errIDSyntax)
		default:
			out = append(out, b)
		}
	}
	return "", fmt.Errorf("%w: string too long or unterminated", errIDSyntax)
}

func (p *idParser) literal(max int) (string, error) {
	end := bytes.IndexByte(p.b, '\n')
	if end < 0 {
		return "", fmt.Errorf("%w: unterminated literal", errIDSyntax)
	}
	n, _, ok := literalAtEnd(p.b[:end+1])
	if !ok || bytes.IndexByte(p.b[:end], '}') != end-1-boolInt(p.b[end-1] == '\r') {
		return "", fmt.Errorf("%w: bad literal", errIDSyntax)
	}
	p.b = p.b[end+1:]
	if n > int64(max) || n > int64(len(p.b)) {
		return "", fmt.Errorf("%w: literal of %s bytes is too long", errIDSyntax, strconv.FormatInt(n, 10))
	}
	s := string(p.b[:n])
	p.b = p.b[n:]
	return s, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

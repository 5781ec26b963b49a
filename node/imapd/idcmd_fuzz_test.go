package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

// parseIDCommand parses the ID command at the start of cmd, taking every
// literal up to maxLiteral bytes and refusing a larger synchronizing one.
func parseIDCommand(cmd []byte) (*idParser, string, map[string]string, error) {
	p := &idParser{r: bufio.NewReaderSize(bytes.NewReader(cmd), 16), accept: func(n int64, sync bool) error {
		if sync && n > maxLiteral {
			return refusal(literalTooBig(n, true))
		}
		return nil
	}}
	tag, params, err := p.command()
	return p, tag, params, err
}

// FuzzParseIDCommand checks that the ID parser never panics, honours its
// bounds, and that what it accepts ends with a line end; what it refuses
// gets a BAD.
func FuzzParseIDCommand(f *testing.F) {
	for _, seed := range []string{
		"a ID NIL\r\n",
		"a ID (\"name\" \"Delta Chat\" \"version\" \"2.0\")\r\n",
		"a ID (\"name\" {3}\r\nabc \"x\" NIL)\r\n",
		"a ID ({4+}\r\nname \"a\\\"b\")\n",
		"a ID (\"name\"",
		"a ID ({99999}\r\n)\r\n",
		"a ID ({1100+}\r\n" + strings.Repeat("x", 1100) + " NIL)\r\n",
		"a ID (" + strings.Repeat("\"k\" \"v\" ", 31) + "\"" + strings.Repeat("f", 31) + "\" \"" + strings.Repeat("v", 1025) + "\")\r\n",
		"a ID ({5+}\r\nfield {1}\r\nv)\r\nb NOOP\r\n",
		"a ID () \r\n",
		"a ID ({1234567890123456789012345}\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, cmd []byte) {
		if !isIDCommand(cmd) {
			return
		}
		p, _, params, err := parseIDCommand(cmd)
		if r, ok := errors.AsType[refusal](err); ok {
			if !strings.HasPrefix(string(r), "BAD ") {
				t.Fatalf("%q refused with %q", cmd, r)
			}
			return
		}
		if err != nil {
			return // the input ended
		}
		if len(params) > maxIDPairs || !p.atEOL {
			t.Fatalf("accepted %q as %v", cmd, params)
		}
		for k, v := range params {
			if len(k) > maxIDField || len(v) > maxIDValue {
				t.Fatalf("field %q = %q beyond the bounds", k, v)
			}
		}
	})
}

package imapd

import (
	"bytes"
	"testing"
)

// FuzzParseIDCommand checks that the ID parser never panics, honours its
// bounds, and that what it accepts ends with a line end.
func FuzzParseIDCommand(f *testing.F) {
	for _, seed := range []string{
		"a ID NIL\r\n",
		"a ID (\"name\" \"Delta Chat\" \"version\" \"2.0\")\r\n",
		"a ID (\"name\" {3}\r\nabc \"x\" NIL)\r\n",
		"a ID ({4+}\r\nname \"a\\\"b\")\n",
		"a ID (\"name\"",
		"a ID ({99999}\r\n)\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, cmd []byte) {
		if !isIDCommand(cmd) {
			return
		}
		params, err := parseIDCommand(cmd)
		if err != nil {
			return
		}
		if len(params) > maxIDPairs || !bytes.HasSuffix(cmd, []byte("\n")) {
			t.Fatalf("accepted %q as %v", cmd, params)
		}
		for k, v := range params {
			if len(k) > maxIDField || len(v) > maxIDValue {
				t.Fatalf("field %q = %q beyond the bounds", k, v)
			}
		}
	})
}

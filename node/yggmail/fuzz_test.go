package yggmail

import (
	"crypto/ed25519"
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzParsePrivateKey: any private_key value is either refused or yields
// a key whose public half its seed derives, and never panics.
func FuzzParsePrivateKey(f *testing.F) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	f.Add(hex.EncodeToString(key))
	f.Add(strings.ToUpper(hex.EncodeToString(key)))
	f.Add(" " + hex.EncodeToString(key) + "\n")
	f.Add(hex.EncodeToString(key)[:127] + "g")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePrivateKey(s)
		if err != nil {
			return
		}
		if !ed25519.NewKeyFromSeed(k.Seed()).Equal(k) {
			t.Fatalf("accepted %q with a mismatched public half", s)
		}
	})
}

// FuzzColumns: the flag, date and password readers take any text a
// hand-edited database may hold without panicking, and read 0 and 1 as
// SQLite does.
func FuzzColumns(f *testing.F) {
	for _, s := range []string{"0", "1", "true", "FALSE", " 1 ", "2", "-1", "1796178850", "1e9", "", "$2a$10$" + strings.Repeat("a", 53)} {
		f.Add(s, int64(len(s)))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		parseBool(s)
		parseBool([]byte(s))
		parseTime(s)
		parseTime(n)
		parseTime(float64(n) * 1.5)
		ParsePasswordHash(s)
		if b, err := parseBool(n); err != nil || b != (n != 0) {
			t.Fatalf("parseBool(%d) = %v, %v", n, b, err)
		}
	})
}

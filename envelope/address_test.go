package envelope

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

const testHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseAddressValid(t *testing.T) {
	for _, in := range []string{
		testHex + "@yggmail",
		strings.ToUpper(testHex) + "@yggmail",
		testHex + "@YGGMAIL",
		testHex + "@YggMail",
		"  " + testHex + "@yggmail\t",
		"<" + testHex + "@yggmail>",
		" < " + testHex + "@yggmail > ",
	} {
		a, err := ParseAddress(in)
		if err != nil {
			t.Errorf("ParseAddress(%q): %v", in, err)
			continue
		}
		if got := a.String(); got != testHex+"@yggmail" {
			t.Errorf("ParseAddress(%q).String() = %q", in, got)
		}
	}
}

func TestParseAddressInvalid(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{"<>", "empty"},
		{"yggmail", "missing @"},
		{testHex, "missing @"},
		{"@yggmail", "missing key"},
		{testHex[:63] + "@yggmail", "63 hex digits"},
		{testHex + "0@yggmail", "65 hex digits"},
		{testHex[:62] + "@yggmail", "62 hex digits"},
		{testHex[:63] + "g@yggmail", "non-hex"},
		{testHex[:63] + "é@yggmail", "non-hex"},
		{testHex + "@example.org", "domain"},
		{testHex + "@yggmail.org", "domain"},
		{testHex + "@", "domain"},
		{testHex + "@yggmail@yggmail", "domain"},
		{"<" + testHex + "@yggmail", "angle"},
		{testHex + "@yggmail>", "angle"},
		{"<<" + testHex + "@yggmail>>", "angle"},
		{">", "angle"},
		{"<", "angle"},
		{"0x" + testHex[2:] + "@yggmail", "non-hex"},
		{"Name <" + testHex + "@yggmail>", "angle"},
	}
	for _, tc := range tests {
		_, err := ParseAddress(tc.in)
		if err == nil {
			t.Errorf("ParseAddress(%q) succeeded, want error containing %q", tc.in, tc.want)
			continue
		}
		if !errors.Is(err, ErrBadAddress) {
			t.Errorf("ParseAddress(%q) = %v, not ErrBadAddress", tc.in, err)
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseAddress(%q) = %q, want it to mention %q", tc.in, err, tc.want)
		}
	}
}

func TestAddressFromKey(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := AddressFromKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Key().Equal(pub) {
		t.Fatalf("Key() = %x, want %x", a.Key(), pub)
	}
	b, err := ParseAddress(a.String())
	if err != nil || b != a {
		t.Fatalf("round trip: %v, %v != %v", err, b, a)
	}
	if len(a.Hex()) != 64 || strings.ToLower(a.Hex()) != a.Hex() {
		t.Fatalf("Hex() = %q", a.Hex())
	}
	for _, n := range []int{0, 31, 33, 64} {
		if _, err := AddressFromKey(make([]byte, n)); !errors.Is(err, ErrBadAddress) {
			t.Errorf("AddressFromKey(%d bytes) = %v, want ErrBadAddress", n, err)
		}
	}
}

func TestAddressKeyIsCopy(t *testing.T) {
	a, _ := ParseAddress(testHex + "@yggmail")
	k := a.Key()
	k[0] ^= 0xff
	if a.Hex() != testHex {
		t.Fatal("mutating Key() changed the address")
	}
}

func TestAddressText(t *testing.T) {
	a, _ := ParseAddress(testHex + "@yggmail")
	b, err := a.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var c Address
	if err := c.UnmarshalText(b); err != nil || c != a {
		t.Fatalf("UnmarshalText: %v, %v", err, c)
	}
	if err := c.UnmarshalText([]byte("nope")); err == nil {
		t.Fatal("UnmarshalText accepted garbage")
	}
}

func TestID(t *testing.T) {
	a, b := NewID(), NewID()
	if a == b || a == (ID{}) {
		t.Fatalf("NewID not random: %v %v", a, b)
	}
	p, err := ParseID(a.String())
	if err != nil || p != a {
		t.Fatalf("ParseID(%q) = %v, %v", a.String(), p, err)
	}
	if p, err := ParseID(strings.ToUpper(a.String())); err != nil || p != a {
		t.Fatalf("ParseID upper = %v, %v", p, err)
	}
	for _, bad := range []string{"", "00", a.String() + "0", a.String()[:31] + "z"} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) succeeded", bad)
		}
	}
	var u ID
	if txt, _ := a.MarshalText(); u.UnmarshalText(txt) != nil || u != a {
		t.Fatal("ID text round trip failed")
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{testHex + "@yggmail", "<" + strings.ToUpper(testHex) + "@YGGMAIL>",
		"", "yggmail", "@yggmail", "<>", "<", testHex[:63] + "@yggmail", "\xff@yggmail"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("error %v does not wrap ErrBadAddress", err)
			}
			return
		}
		b, err := ParseAddress(a.String())
		if err != nil || b != a {
			t.Fatalf("canonical form %q does not round trip: %v", a.String(), err)
		}
		if !strings.EqualFold(strings.Trim(strings.TrimSpace(s), "<> \t\r\n\v\f"), a.String()) {
			t.Fatalf("accepted %q as %q", s, a.String())
		}
	})
}

func FuzzParseID(f *testing.F) {
	f.Add("00112233445566778899aabbccddeeff")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err == nil && !strings.EqualFold(strings.TrimSpace(s), id.String()) {
			t.Fatalf("accepted %q as %q", s, id)
		}
	})
}

func TestCheckKey(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := AddressFromKey(pub)
	if err := a.CheckKey(); err != nil {
		t.Fatalf("real key refused: %v", err)
	}
	identity := Address{1}
	if err := identity.CheckKey(); !errors.Is(err, ErrBadAddress) || !strings.Contains(err.Error(), "small-order") {
		t.Fatalf("identity point: %v", err)
	}
	var notPoint Address
	for i := range 256 {
		notPoint[0] = byte(i)
		if err := notPoint.CheckKey(); err != nil && strings.Contains(err.Error(), "not a curve point") {
			return
		}
	}
	t.Fatal("found no byte string that CheckKey rejects as not a point")
}

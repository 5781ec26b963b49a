package imapd

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeMUTF7(t *testing.T) {
	for _, c := range []struct {
		in, want string
		err      error
	}{
		{"INBOX", "INBOX", nil},
		{"~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/台北/日本語", nil}, // RFC 3501 5.1.3
		{"R&-D", "R&D", nil},
		{"&-&-", "&&", nil},
		{"Caf&AOk-", "Café", nil},
		{"Café", "Café", nil}, // raw UTF-8 passes, as in go-imap
		{"&AOk-x&AOk-", "éxé", nil},
		{"&AAA-", "\x00", nil},
		{"&2D3eAA-", "\U0001F600", nil},
		{"&", "", errMUTF7Unended},
		{"&Jjo", "", errMUTF7Unended},
		{"a&b", "", errMUTF7Unended},
		{"!#$&'+,-.", "", errMUTF7BadBase64},
		{"&AOk-&AOk-", "", errMUTF7NullShift},
		{"&AGE-", "", errMUTF7ASCIIInRun},
		{"&2D0-", "", errMUTF7Surrogate},
		{"&3gA-", "", errMUTF7Surrogate},
		{"&A-", "", errMUTF7BadBase64},
		{"&AOk=-", "", errMUTF7BadBase64},
		{"&AO-", "", errMUTF7BadBase64},
		{"&AO\rk-", "", errMUTF7Control},
		{"a\tb", "", errMUTF7Control},
		{"a\x7fb", "", errMUTF7Control},
		{"a\xffb", "", errMUTF7NotUTF8},
	} {
		got, err := decodeMUTF7(c.in)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("decodeMUTF7(%q) = %q, %v; want %q, %v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestEncodeMUTF7Literal(t *testing.T) {
	for in, want := range map[string]string{
		"!#$&'+,-.":  "!#$&-'+,-.",
		"a\x01\x02b": "a&AAEAAg-b",
		"é&\x00":     "é&-&AAA-",
		"a\xffb":     "a\uFFFDb",
		"":           "",
	} {
		if got := encodeMUTF7Literal(in); got != want {
			t.Errorf("encodeMUTF7Literal(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzMUTF7: decoding never panics, and what encodeMUTF7Literal writes
// decodes to the text it was given.
func FuzzMUTF7(f *testing.F) {
	for _, s := range []string{"~peter/mail/&U,BTFw-/&ZeVnLIqe-", "&Jjo", "a&b", "&AOk-&AOk-", "\x00&-\xff", "&2D3eAA-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		decodeMUTF7(s)
		enc := encodeMUTF7Literal(s)
		got, err := decodeMUTF7(enc)
		if want := strings.ToValidUTF8(s, "\uFFFD"); err != nil || got != want {
			t.Fatalf("%q encoded as %q decodes to %q, %v", s, enc, got, err)
		}
	})
}

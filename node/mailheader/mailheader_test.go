package mailheader

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
)

// TestReadFrom holds the cases of the node's former From check: Read then
// From, and the message comes back whole.
func TestReadFrom(t *testing.T) {
	a := envelope.Address{1}
	cases := []struct {
		name, msg string
		want      error
	}{
		{"plain", "From: <" + a.String() + ">\r\nSubject: x\r\n\r\nbody", nil},
		{"display name", "From: Alice <" + strings.ToUpper(a.Hex()) + "@YGGMAIL>\r\n\r\nbody", nil},
		{"header only", "From: " + a.String() + "\r\n", nil},
		{"bare LF", "From: " + a.String() + "\nSubject: x\n\nbody\n", nil},
		{"obsolete space before the colon", "From : " + a.String() + "\r\n\r\n", nil},
		{"unknown charset in the name", "From: =?koi8-r?B?8NLJ18XU?= <" + a.String() + ">\r\n\r\n", nil},
		{"no From", "Subject: x\r\n\r\nbody", ErrNoFrom},
		{"empty From", "From: \r\n\r\n", ErrNoFrom},
		{"two addresses", "From: " + a.String() + ", " + envelope.Address{2}.String() + "\r\n\r\n", ErrFromAddress},
		{"other domain", "From: someone@example.org\r\n\r\n", ErrFromAddress},
		{"two From fields", "From: " + a.String() + "\r\nFrom: " + a.String() + "\r\n\r\n", ErrBadHeader},
		{"garbage", "\x00\x01\x02", ErrBadHeader},
		{"a line of CRs", "Subject: x\r\n\r\r\nFrom: " + a.String() + "\r\n\r\n", ErrBadHeader},
		{"huge header", "X: " + strings.Repeat("a", DefaultMax+10) + "\r\n\r\n", ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			block, rest, err := Read(strings.NewReader(c.msg), DefaultMax)
			var from envelope.Address
			if err == nil {
				from, err = From(block)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if errors.Is(c.want, ErrBadHeader) && !errors.Is(err, ErrBadHeader) {
				t.Fatalf("err = %v is not an ErrBadHeader", err)
			}
			if err != nil {
				return
			}
			if from != a {
				t.Errorf("from = %s, want %s", from, a)
			}
			all, _ := io.ReadAll(io.MultiReader(bytes.NewReader(block), rest))
			if string(all) != c.msg {
				t.Errorf("message altered: %q", all)
			}
		})
	}
}

func TestReadEnd(t *testing.T) {
	for _, c := range []struct{ msg, block string }{
		{"A: 1\r\n\r\nbody", "A: 1\r\n\r\n"},
		{"A: 1\n\nbody", "A: 1\n\n"},
		{"A: 1\r\n\r\r\nB: 2\r\n\r\nbody", "A: 1\r\n\r\r\nB: 2\r\n\r\n"}, // CRs are not an empty line
		{"\r\nA: 1\r\n", "\r\n"},
		{"A: 1", "A: 1"},
		{"", ""},
		// a line break that starts a new read of the buffer is still a line's
		{"X: " + strings.Repeat("a", 32<<10-3) + "\r\nB: 2\r\n\r\nbody", "X: " + strings.Repeat("a", 32<<10-3) + "\r\nB: 2\r\n\r\n"},
		{"X: " + strings.Repeat("a", 32<<10-3) + "\nB: 2\n\nbody", "X: " + strings.Repeat("a", 32<<10-3) + "\nB: 2\n\n"},
	} {
		block, rest, err := Read(strings.NewReader(c.msg), DefaultMax)
		if err != nil || string(block) != c.block {
			t.Errorf("Read(%.40q) = %.40q, %v; want %.40q", c.msg, block, err, c.block)
			continue
		}
		if tail, _ := io.ReadAll(rest); string(tail) != c.msg[len(c.block):] {
			t.Errorf("Read(%.40q): rest %q", c.msg, tail)
		}
	}
}

// TestReadCut: a block over the bound is cut at exactly the bound, and the
// rest still yields everything after the cut.
func TestReadCut(t *testing.T) {
	msg := "Subject: " + strings.Repeat("x", 100) + "\r\n\r\nbody"
	block, rest, err := Read(strings.NewReader(msg), 50)
	if !errors.Is(err, ErrTooLarge) || string(block) != msg[:50] {
		t.Fatalf("Read = %q, %v; want the first 50 bytes and ErrTooLarge", block, err)
	}
	if tail, _ := io.ReadAll(rest); string(tail) != msg[50:] {
		t.Fatalf("rest = %q", tail)
	}
	if block, _, err := Read(strings.NewReader(msg), len(msg)-4); err != nil || len(block) != len(msg)-4 {
		t.Fatalf("a block of exactly the bound: %q, %v", block, err)
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	_, _, err := Read(io.MultiReader(strings.NewReader("A: 1\r\n"), errReader{boom}), DefaultMax)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the reader's", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestValues(t *testing.T) {
	block := []byte("To: a\r\nsubject : one,\r\n\ttwo\r\nno colon\r\n more\r\nTO:\r\n b\r\nBad Name: x\r\n\r\nTo: body\r\n")
	if got := Values(block, "to"); !slices.Equal(got, []string{" a", " b"}) {
		t.Errorf("Values(to) = %q", got)
	}
	if got := Values(block, "Subject"); !slices.Equal(got, []string{" one,\ttwo"}) {
		t.Errorf("Values(Subject) = %q", got)
	}
	if got := Values(block, "Bad Name"); got != nil {
		t.Errorf("Values(Bad Name) = %q, want none: it is not a field", got)
	}
}

func TestMessageID(t *testing.T) {
	for block, want := range map[string]string{
		"Message-ID: <a@b>\r\n\r\n":                            "<a@b>",
		"message-id:   <a@b> \n\n":                             "<a@b>",
		"Message-ID:\r\n <a@b>\r\n\r\n":                        "<a@b>",
		"Message-ID:\r\nMessage-ID: \t\r\nMessage-Id: <c>\r\n": "<c>",
		"Subject: x\r\n\r\nMessage-ID: <body@b>\r\n":           "",
		"no colon\r\nMessage-ID: <a@b>\r\n":                    "<a@b>",
		"Message-ID: <a@b>":                                    "<a@b>",
		"":                                                     "",
	} {
		if got := MessageID([]byte(block)); got != want {
			t.Errorf("MessageID(%q) = %q, want %q", block, got, want)
		}
	}
}

func TestRemoveAndAdd(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Bcc: a\r\nTo: b\r\n\r\nBcc: body\r\n", "To: b\r\n\r\nBcc: body\r\n"},
		{"To: b\r\nbcc : a,\r\n\tc\r\n d\r\nSubject: s\r\n", "To: b\r\nSubject: s\r\n"},
		{"To: b\nBCC:\n\nx", "To: b\n\nx"},
		{"Bcc: last without newline", ""},
		{"Bccx: kept\r\nX-Bcc: kept\r\n\r\n", "Bccx: kept\r\nX-Bcc: kept\r\n\r\n"},
		{" leading continuation\r\nBcc: x\r\n", " leading continuation\r\n"},
	}
	for _, tc := range cases {
		if got := string(RemoveFields([]byte(tc.in), "Bcc")); got != tc.want {
			t.Errorf("RemoveFields(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for in, want := range map[string]string{
		"A: 1\r\n\r\nbody": "A: 1\r\nB: 2\r\n\r\nbody",
		"A: 1\n\nbody":     "A: 1\nB: 2\n\nbody",
		"A: 1":             "A: 1\r\nB: 2\r\n",
		"":                 "B: 2\r\n",
	} {
		if got := string(AddField([]byte(in), "B: 2")); got != want {
			t.Errorf("AddField(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAddresses(t *testing.T) {
	block := []byte("To: Bob <b@y>, c@y\r\nCc:\r\nBcc: =?x-unknown?q?D?= <d@y>\r\n\r\n")
	got, err := Addresses(block, "To", "Cc", "Bcc")
	if err != nil || !slices.Equal(got, []string{"b@y", "c@y", "d@y"}) {
		t.Fatalf("Addresses = %q, %v", got, err)
	}
	if _, err := Addresses([]byte("To: <unclosed\r\n\r\n"), "To"); err == nil {
		t.Fatal("an unparsable To field gave no error")
	}
}

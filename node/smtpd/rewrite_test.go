package smtpd

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

var messageIDForm = regexp.MustCompile(`^<[a-z2-7]{26}@yggmail>$`)

func TestMessageIDAddedWhenMissing(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	c := dialAuthed(t, address)
	cases := []struct{ name, header, eol string }{
		{"missing", "From: <" + local.String() + ">\r\nSubject: no id\r\n", "\r\n"},
		{"empty", "Message-ID:\r\nFrom: <" + local.String() + ">\r\nMessage-Id:  \r\n", "\r\n"},
		{"bare LF", "From: <" + local.String() + ">\nSubject: lf\n", "\n"},
	}
	for i, tc := range cases {
		msg := tc.header + tc.eol + "body" + tc.eol
		if err := send(c, local.String(), []string{alice.String()}, []byte(msg)); err != nil {
			t.Fatalf("%s: send: %v", tc.name, err)
		}
		got := string(waitSubmissions(t, sub, i+1)[i].body(t))
		if tc.name == "bare LF" {
			// This client turns bare LF into CRLF on the wire.
			msg = strings.ReplaceAll(msg, "\n", "\r\n")
			tc.eol = "\r\n"
		}
		head, body, _ := strings.Cut(got, tc.eol+tc.eol)
		lines := strings.Split(head, tc.eol)
		id, ok := strings.CutPrefix(lines[len(lines)-1], "Message-ID: ")
		if !ok || !messageIDForm.MatchString(id) {
			t.Fatalf("%s: last header line %q, want a new Message-ID", tc.name, lines[len(lines)-1])
		}
		if n := len(HeaderValues([]byte(got), "Message-ID")); n != 1 {
			t.Errorf("%s: %d Message-ID fields in %q", tc.name, n, got)
		}
		rest := strings.Join(lines[:len(lines)-1], tc.eol) + tc.eol + tc.eol + body
		if want := string(RemoveFields([]byte(msg), "Message-ID")); rest != want {
			t.Errorf("%s: the message without the new field is %q, want %q", tc.name, rest, want)
		}
	}
}

func TestMessageIDKept(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	c := dialAuthed(t, address)
	msg := []byte("From: <" + local.String() + ">\r\nBcc: <" + bob.String() + ">\r\nMessage-ID:\r\n <given@client>\r\n\r\nb\r\n")
	if err := send(c, local.String(), []string{alice.String(), bob.String()}, msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got := waitSubmissions(t, sub, 1)[0].body(t); !bytes.Equal(got, msg) {
		t.Fatalf("submitted %q, want it unchanged (Bcc is the Submitter's to remove): %q", got, msg)
	}
}

func TestRemoveFields(t *testing.T) {
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
}

// FuzzRewrite checks the header rewriting on arbitrary header blocks:
// removing a field removes all of it and nothing else, and a Message-ID
// is added exactly when there was none.
func FuzzRewrite(f *testing.F) {
	f.Add([]byte("From: <a@b>\r\nBcc: <c@d>,\r\n <e@f>\r\nSubject: x\r\n\r\nbody"))
	f.Add([]byte("Message-ID: <x@y>\nBcc:\n\n"))
	f.Add([]byte("bcc\t: x\r\n\tMessage-ID: <in continuation>\r\nmessage-id: \r\n"))
	f.Add([]byte("\r\nBcc: after the header\r\n"))
	f.Fuzz(func(t *testing.T, header []byte) {
		out := RemoveFields(header, "Bcc")
		if v := HeaderValues(out, "Bcc"); len(v) != 0 {
			t.Fatalf("Bcc left after removal: %q", v)
		}
		for _, name := range []string{"From", "Subject", "Message-ID"} {
			if a, b := HeaderValues(header, name), HeaderValues(out, name); strings.Join(a, "\x00") != strings.Join(b, "\x00") {
				t.Fatalf("%s changed by removing Bcc: %q -> %q", name, a, b)
			}
		}
		if !isSubsequence(out, header) {
			t.Fatalf("removal added or reordered bytes: %q -> %q", header, out)
		}
		if again := RemoveFields(out, "Bcc"); !bytes.Equal(again, out) {
			t.Fatalf("removal not idempotent: %q -> %q", out, again)
		}
		if v := HeaderValues(AddField(out, "Bcc: <z@yggmail>"), "Bcc"); len(v) != 1 || v[0] != " <z@yggmail>" {
			t.Fatalf("added Bcc field reads back as %q", v)
		}
		had := MessageID(header)
		with, added := ensureMessageID(header)
		switch {
		case had != "" && (added != "" || !bytes.Equal(with, header)):
			t.Fatalf("header with Message-ID %q was changed", had)
		case had == "" && (!messageIDForm.MatchString(added) || MessageID(with) != added):
			t.Fatalf("added %q, header now says %q", added, MessageID(with))
		}
	})
}

// isSubsequence reports whether a's bytes appear in b in order.
func isSubsequence(a, b []byte) bool {
	for _, c := range a {
		i := bytes.IndexByte(b, c)
		if i < 0 {
			return false
		}
		b = b[i+1:]
	}
	return true
}

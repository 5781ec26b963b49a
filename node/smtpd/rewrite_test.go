package smtpd

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/node/mailheader"
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
		if n := len(mailheader.Values([]byte(got), "Message-ID")); n != 1 {
			t.Errorf("%s: %d Message-ID fields in %q", tc.name, n, got)
		}
		rest := strings.Join(lines[:len(lines)-1], tc.eol) + tc.eol + tc.eol + body
		if want := string(mailheader.RemoveFields([]byte(msg), "Message-ID")); rest != want {
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

// FuzzRewrite checks the Message-ID rewriting on arbitrary header blocks:
// a Message-ID is added exactly when there was none, and the header is
// otherwise unchanged.
func FuzzRewrite(f *testing.F) {
	f.Add([]byte("From: <a@b>\r\nBcc: <c@d>,\r\n <e@f>\r\nSubject: x\r\n\r\nbody"))
	f.Add([]byte("Message-ID: <x@y>\nBcc:\n\n"))
	f.Add([]byte("bcc\t: x\r\n\tMessage-ID: <in continuation>\r\nmessage-id: \r\n"))
	f.Add([]byte("\r\nBcc: after the header\r\n"))
	f.Fuzz(func(t *testing.T, header []byte) {
		had := mailheader.MessageID(header)
		with, added := ensureMessageID(header)
		switch {
		case had != "" && (added != "" || !bytes.Equal(with, header)):
			t.Fatalf("header with Message-ID %q was changed", had)
		case had == "" && (!messageIDForm.MatchString(added) || mailheader.MessageID(with) != added):
			t.Fatalf("added %q, header now says %q", added, mailheader.MessageID(with))
		}
	})
}

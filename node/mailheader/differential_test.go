package mailheader

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
)

// The differences from the reference (reference_test.go) that the package
// comment documents, each as a test of the input that can cause it.

// strayCR: a line with more than one CR before its LF.
func strayCR(msg []byte) bool {
	return bytes.Contains(append(bytes.Clone(msg), "\r\n"...), []byte("\r\r\n"))
}

// emptyFirstID: a Message-ID field, empty, before another.
func emptyFirstID(msg []byte) bool {
	ids := Values(msg, "Message-ID")
	return len(ids) > 1 && strings.TrimSpace(ids[0]) == ""
}

// malformed: a line that is neither a field nor a continuation of one.
func malformed(msg []byte) bool { return wellFormed(msg) != nil }

// obsName: a field name followed by white space before its colon.
func obsName(msg []byte) bool {
	for l := range lines(msg) {
		if name, _, _ := bytes.Cut(l.raw, []byte(":")); l.kind == lineField && len(name) != len(l.name) {
			return true
		}
	}
	return false
}

// longLine: a line longer than a reader's buffer of n bytes.
func longLine(msg []byte, n int) bool {
	for l := range bytes.Lines(msg) {
		if len(l) >= n {
			return true
		}
	}
	return false
}

var blanks = regexp.MustCompile(`[ \t]+`)

// squash compares values of parsers that fold white space differently.
func squash(s string) string { return strings.TrimSpace(blanks.ReplaceAllString(s, " ")) }

// refLocal is the node address whose messages the From checks accept.
var refLocal = envelope.Address{0x5e, 0x4d}

func differentialSeeds() []string {
	from := "From: <" + refLocal.String() + ">"
	return []string{
		"",
		from + "\r\nMessage-ID: <a@b>\r\nSubject: x\r\n\r\nbody\r\n",
		"Message-ID:\r\nMessage-ID:\r\n <folded@b>\r\n" + from + "\r\n\r\n",
		"message-id:\n\tMessage-ID: <x>\n <y@z>\n\n",
		from + "\r\n\r\r\nFrom: <" + (envelope.Address{1}).String() + ">\r\n\r\n",
		"Subject: x\r\r\n" + from + "\r\n\r\n",
		"From : <" + refLocal.String() + ">\r\nTo: a@b, c@d\r\nBcc: e@f,\r\n g@h\r\n\r\nBcc: body\r\n",
		" leading\r\n" + from + "\r\n",
		"no colon\r\n" + from + "\r\n\r\n",
		from + "\r\n" + from + "\r\n\r\n",
		"From: =?koi8-r?B?8NLJ18XU?= <" + refLocal.String() + ">\r\n\r\n",
		"Message-ID: <a@b \r\n \t c>\r\n",
		"X:" + strings.Repeat("y", 70) + "\r\n\r\n",
		"\r\n" + from + "\r\n",
		"Message-ID: <a>\r",
		": empty name\r\nMessage-ID: <a>\r\n",
		"Bad Name: x\r\nMessage-ID: <a>\r\n\r\n",
	}
}

// FuzzDifferential feeds the same bytes to the reference and to the
// package and fails on any difference the package comment does not
// document.
func FuzzDifferential(f *testing.F) {
	for _, s := range differentialSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		diffSMTPRead(t, msg, 64)
		diffSMTPRead(t, msg, DefaultMax)
		diffIMAPRead(t, msg, 64)
		diffIMAPRead(t, msg, 1<<20)
		diffNodeRead(t, msg)
		diffFields(t, msg)
		diffMessageID(t, msg)
		diffFrom(t, msg)
	})
}

// readAll is Read with the rest read out; it fails the test unless block
// and rest are the whole message.
func readAll(t *testing.T, msg []byte, max int) ([]byte, []byte, error) {
	block, rest, err := Read(bytes.NewReader(msg), max)
	if err != nil && !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Read(%d): %v", max, err)
	}
	tail, rerr := io.ReadAll(rest)
	if rerr != nil || !bytes.Equal(append(bytes.Clone(block), tail...), msg) {
		t.Fatalf("Read(%d): block %q and rest %q are not the message (%v)", max, block, tail, rerr)
	}
	return block, tail, err
}

func diffSMTPRead(t *testing.T, msg []byte, max int) {
	block, tail, err := readAll(t, msg, max)
	oldBlock, oldRest, oldErr := refSMTPReadHeader(bytes.NewReader(msg), max)
	if oldErr != nil {
		if !errors.Is(oldErr, ErrTooLarge) || !errors.Is(err, ErrTooLarge) || len(block) != max {
			t.Fatalf("smtpd.ReadHeader(%d) = %v; Read = %q, %v", max, oldErr, block, err)
		}
		return
	}
	oldTail, _ := io.ReadAll(oldRest)
	if err != nil || !bytes.Equal(oldBlock, block) || !bytes.Equal(oldTail, tail) {
		t.Fatalf("smtpd.ReadHeader(%d) = %q, %q; Read = %q, %q, %v", max, oldBlock, oldTail, block, tail, err)
	}
}

func diffIMAPRead(t *testing.T, msg []byte, max int) {
	block, _, err := readAll(t, msg, max)
	old, oldErr := refIMAPReadHeaderBlock(bufio.NewReader(bytes.NewReader(msg)), max)
	if oldErr != nil {
		t.Fatalf("imapd.readHeaderBlock: %v", oldErr)
	}
	if strayCR(msg) || longLine(msg, 4096) {
		return
	}
	if errors.Is(err, ErrTooLarge) {
		if !bytes.HasPrefix(old, block) {
			t.Fatalf("imapd.readHeaderBlock(%d) = %q; Read cut it to %q", max, old, block)
		}
		return
	}
	if !bytes.Equal(old, block) {
		t.Fatalf("imapd.readHeaderBlock(%d) = %q; Read = %q", max, old, block)
	}
}

func diffNodeRead(t *testing.T, msg []byte) {
	block, _, err := readAll(t, msg, DefaultMax)
	old, oldErr := refNodeReadHead(bufio.NewReaderSize(bytes.NewReader(msg), 32<<10))
	if strayCR(msg) || longLine(msg, 32<<10) {
		return
	}
	if !errors.Is(oldErr, err) || oldErr == nil && !bytes.Equal(old, block) {
		t.Fatalf("node.readHead = %q, %v; Read = %q, %v", old, oldErr, block, err)
	}
}

// diffFields compares the field helpers with smtpd's.
func diffFields(t *testing.T, msg []byte) {
	if LineEnding(msg) != refSMTPLineEnding(msg) {
		t.Fatalf("LineEnding = %q, smtpd's %q", LineEnding(msg), refSMTPLineEnding(msg))
	}
	if strayCR(msg) {
		return
	}
	for _, name := range []string{"From", "Message-ID", "Bcc", "to"} {
		if got, want := Values(msg, name), refSMTPHeaderValues(msg, name); !slices.Equal(got, want) {
			t.Fatalf("Values(%s) = %q, smtpd's %q", name, got, want)
		}
	}
	if got, want := RemoveFields(msg, "Bcc"), refSMTPRemoveFields(msg, "Bcc"); !bytes.Equal(got, want) {
		t.Fatalf("RemoveFields = %q, smtpd's %q", got, want)
	}
	if got, want := AddField(msg, "Bcc: <x@y>"), refSMTPAddField(msg, "Bcc: <x@y>"); !bytes.Equal(got, want) {
		t.Fatalf("AddField = %q, smtpd's %q", got, want)
	}
	got, err := Addresses(msg, "To", "Cc", "Bcc")
	want, oldErr := refSMTPHeaderAddresses(msg, "To", "Cc", "Bcc")
	if (err == nil) != (oldErr == nil) || !slices.Equal(got, want) {
		t.Fatalf("Addresses = %q, %v; smtpd's %q, %v", got, err, want, oldErr)
	}
}

// diffMessageID compares MessageID with the four extractors it replaced.
func diffMessageID(t *testing.T, msg []byte) {
	id := MessageID(msg)
	if strayCR(msg) {
		return
	}
	if old := refSMTPMessageID(msg); old != id {
		t.Fatalf("MessageID = %q, smtpd's %q", id, old)
	}
	if emptyFirstID(msg) || malformed(msg) {
		return
	}
	if old := refIMAPMessageID(msg); squash(old) != squash(id) {
		t.Fatalf("MessageID = %q, imapd's %q", id, old)
	}
	if obsName(msg) {
		return
	}
	if old := refBounceMessageID(msg); squash(old) != squash(refOneLine(id)) {
		t.Fatalf("MessageID = %q, the bounce's %q", id, old)
	}
	if old, _ := refClassicMessageID(msg); squash(old) != squash(id) {
		t.Fatalf("MessageID = %q, the classic key's %q", id, old)
	}
}

// diffFrom compares Read and From with the node's reader and From check,
// and with smtpd's From check.
func diffFrom(t *testing.T, msg []byte) {
	block, _, err := Read(bytes.NewReader(msg), DefaultMax)
	var from envelope.Address
	if err == nil {
		from, err = From(block)
	}
	if strayCR(msg) || malformed(msg) {
		return
	}
	if old := refSMTPCheckFrom(block, refLocal); (old == "") != (err == nil && from == refLocal) {
		t.Fatalf("From = %s, %v; smtpd's check %q", from, err, old)
	}
	if obsName(msg) || len(Values(block, "From")) > 1 || bytes.Contains(block, []byte("=?")) || longLine(msg, 32<<10) {
		return
	}
	old, _, _, oldErr := refNodeReadHeaderBlock(bytes.NewReader(msg))
	if old != from || errClass(oldErr) != errClass(err) {
		t.Fatalf("From = %s, %v; node's %s, %v", from, err, old, oldErr)
	}
}

// errClass names the node's reply class of a header error.
func errClass(err error) string {
	for _, e := range []error{ErrTooLarge, ErrNoFrom, ErrBadHeader} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	if err != nil {
		return "other"
	}
	return ""
}

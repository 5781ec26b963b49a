package report

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/peer"
)

var (
	local   = envelope.Address{0x11, 0x22}
	rcpt    = envelope.Address{0x33, 0x44}
	created = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	now     = time.Date(2026, 12, 3, 11, 30, 0, 0, time.UTC)
)

// pinned is the report of the test files in testdata, which the node's
// own report builder wrote before it moved here (its random boundary
// replaced by BOUNDARY-PINNED).
func pinned() DSN {
	return DSN{
		Local:    local,
		Row:      mailbox.Outbound{ID: envelope.ID{0xab, 0xcd, 0xef}, Recipient: rcpt, Created: created, Attempts: 6},
		Header:   []byte("From: <" + local.String() + ">\r\nTo: <" + rcpt.String() + ">\r\nSubject: hello\r\nMessage-ID: <orig-1@yggmail>\r\n\r\n"),
		Now:      now,
		Boundary: "BOUNDARY-PINNED",
	}
}

func TestPinned(t *testing.T) {
	d := pinned()
	d.Reason = &peer.Error{Code: 452, Enhanced: "4.2.2", Message: "mailbox full\r\nsecond line"}
	failed, err := d.Failed()
	if err != nil {
		t.Fatal(err)
	}
	d.Reason = errors.New("no route to the recipient's node")
	delayed, err := d.Delayed(created.Add(5 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	receipt := Receipt(local, rcpt, []envelope.ID{{0xab, 0xcd}, {0x12}, {0xff, 0xee, 0xdd}}, now)
	for name, got := range map[string][]byte{"dsn-failed.eml": failed, "dsn-delayed.eml": delayed, "receipt.eml": receipt} {
		want, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s changed:\n%s\nwant\n%s", name, got, want)
		}
	}
}

// parseDSN returns a report's header and its parts' content types and
// contents.
func parseDSN(t *testing.T, msg []byte) (mail.Header, map[string]string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("read report: %v", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("report Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return m.Header, parts
		}
		if err != nil {
			t.Fatalf("report part: %v", err)
		}
		b, _ := io.ReadAll(p)
		parts[p.Header.Get("Content-Type")] = string(b)
	}
}

func TestFailedStatus(t *testing.T) {
	for _, c := range []struct {
		reason       error
		status, diag string
	}{
		{&peer.Error{Code: 452, Enhanced: "4.2.2", Message: "full"}, "5.2.2", "452 4.2.2 full"}, // temporary until given up
		{&peer.Error{Code: 550, Enhanced: "5.1.1", Message: "no such user"}, "5.1.1", "550 5.1.1 no such user"},
		{errors.New("gave up"), "5.4.7", "554 5.4.7 gave up"},
	} {
		d := pinned()
		d.Boundary, d.Reason = "", c.reason
		msg, err := d.Failed()
		if err != nil {
			t.Fatal(err)
		}
		h, parts := parseDSN(t, msg)
		status := parts["message/delivery-status"]
		for _, want := range []string{"Action: failed\r\n", "Status: " + c.status + "\r\n", "Diagnostic-Code: smtp; " + c.diag + "\r\n", "Final-Recipient: rfc822; " + rcpt.String()} {
			if !strings.Contains(status, want) {
				t.Errorf("%v: status part lacks %q:\n%s", c.reason, want, status)
			}
		}
		if strings.Contains(status, "Will-Retry-Until") || !strings.HasPrefix(h.Get("Subject"), "Undelivered mail") {
			t.Errorf("%v: a failure report reads like a delay: %q\n%s", c.reason, h.Get("Subject"), status)
		}
	}
}

func TestDelayed(t *testing.T) {
	d := pinned()
	d.Boundary, d.Reason = "", errors.New("no answer")
	until := created.Add(5 * 24 * time.Hour)
	msg, err := d.Delayed(until)
	if err != nil {
		t.Fatal(err)
	}
	h, parts := parseDSN(t, msg)
	status := parts["message/delivery-status"]
	for _, want := range []string{"Action: delayed\r\n", "Status: 4.4.1\r\n", "Diagnostic-Code: smtp; 451 4.4.1 no answer\r\n",
		"Will-Retry-Until: " + until.Format(time.RFC1123Z) + "\r\n"} {
		if !strings.Contains(status, want) {
			t.Errorf("status part lacks %q:\n%s", want, status)
		}
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<delay-") {
		t.Errorf("Message-ID %q", id)
	}
}

// TestThreading: the report answers the original's Message-ID, read by
// mailheader's rule, and goes without threading fields when it has none.
func TestThreading(t *testing.T) {
	for header, want := range map[string]string{
		"Message-ID:\r\nMessage-ID:\r\n <folded@client>\r\n\r\n": "<folded@client>",
		"Message-ID: <a\rb@c>\n\n":                               "<a b@c>",
		"Subject: no id\r\n\r\n":                                 "",
		"":                                                       "",
	} {
		d := pinned()
		d.Boundary, d.Reason, d.Header = "", errors.New("x"), []byte(header)
		msg, err := d.Failed()
		if err != nil {
			t.Fatal(err)
		}
		h, parts := parseDSN(t, msg)
		if h.Get("In-Reply-To") != want || h.Get("References") != want {
			t.Errorf("header %q: In-Reply-To %q, References %q, want %q", header, h.Get("In-Reply-To"), h.Get("References"), want)
		}
		if got, ok := parts["text/rfc822-headers"]; ok != (header != "") || got != header {
			t.Errorf("header %q: original header part %q (%v)", header, got, ok)
		}
	}
}

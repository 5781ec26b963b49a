package main

import (
	"net/url"
	"strings"
	"testing"
)

// dcloginLine returns the dclogin: link printed on its own line in out.
func dcloginLine(t *testing.T, out string) string {
	t.Helper()
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "dclogin:") {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("no dclogin: link in the output:\n%s", out)
	return ""
}

func TestDCLoginPrintsLinkForRightPassword(t *testing.T) {
	db := t.TempDir() + "/alice.db"
	const pw = "a&b=c 1+1%"
	if code, _, errs := runCmd(t, pw+"\n", "-database", db, "-password"); code != exitOK {
		t.Fatalf("-password exit %d, stderr %q", code, errs)
	}
	_, addr, _ := runCmd(t, "", "-database", db, "-address")
	code, out, errs := runCmd(t, pw+"\n", "-database", db, "-dclogin", "-imap", "[::1]:2143", "-smtp", "localhost:2025")
	if code != exitOK {
		t.Fatalf("-dclogin exit %d, stderr %q", code, errs)
	}
	link := dcloginLine(t, out)
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("parse %q: %v", link, err)
	}
	if u.Opaque != strings.TrimSpace(addr) {
		t.Errorf("link address %q, want %q", u.Opaque, strings.TrimSpace(addr))
	}
	q := u.Query()
	want := map[string]string{"p": pw, "v": "1", "ih": "::1", "ip": "2143", "is": "plain",
		"sh": "127.0.0.1", "sp": "2025", "ss": "plain"}
	for key, val := range want {
		if q.Get(key) != val {
			t.Errorf("parameter %s = %q, want %q (link %s)", key, q.Get(key), val, link)
		}
	}
	if !strings.Contains(out, "▀") || !strings.Contains(out, "IMAP server") {
		t.Errorf("output lacks the settings table or the QR code:\n%s", out)
	}
}

func TestDCLoginRefusesWrongPassword(t *testing.T) {
	db := t.TempDir() + "/alice.db"
	code, out, errs := runCmd(t, "anything\n", "-database", db, "-dclogin")
	if code != exitUsage || !strings.Contains(errs, "no password set") || out != "" {
		t.Fatalf("no password set: exit %d, stdout %q, stderr %q; want %d and a reason", code, out, errs, exitUsage)
	}
	if code, _, errs := runCmd(t, "s3cret\n", "-database", db, "-password"); code != exitOK {
		t.Fatalf("-password exit %d, stderr %q", code, errs)
	}
	code, out, errs = runCmd(t, "s3cret!\n", "-database", db, "-dclogin")
	if code != exitUsage || !strings.Contains(errs, "wrong password") || out != "" {
		t.Fatalf("wrong password: exit %d, stdout %q, stderr %q; want %d, a reason and nothing printed", code, out, errs, exitUsage)
	}
}

func TestDCLoginNeedsFixedPorts(t *testing.T) {
	db := t.TempDir() + "/alice.db"
	runCmd(t, "s3cret\n", "-database", db, "-password")
	code, _, errs := runCmd(t, "s3cret\n", "-database", db, "-dclogin", "-imap", "localhost:0")
	if code != exitUsage || !strings.Contains(errs, "-imap") {
		t.Fatalf("port 0: exit %d, stderr %q; want %d naming -imap", code, errs, exitUsage)
	}
}

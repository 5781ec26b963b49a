package mailfile

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/mailbox"
)

type testMsg struct {
	box   string
	body  string
	flags []string
	date  time.Time
}

var zone = time.FixedZone("", 2*3600)

var testMsgs = []testMsg{
	{"INBOX", "Subject: one\r\n\r\nhello\r\n", []string{`\Seen`}, time.Date(2023, 5, 1, 10, 0, 0, 0, zone)},
	{"INBOX", "Subject: two\r\n\r\nFrom here\r\n", []string{`\Answered`, `\Flagged`, "$Forwarded"}, time.Date(2023, 5, 2, 10, 0, 0, 0, time.UTC)},
	{"INBOX", "Subject: three\r\n\r\nunread\r\n", nil, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
	{"Sent", "Subject: sent\r\n\r\nbye\r\n", []string{`\Seen`, `\Draft`}, time.Date(2022, 12, 31, 23, 59, 59, 0, time.UTC)},
	{"Work/Projects", "Subject: p\r\n\r\nplan\r\n", []string{`\Deleted`, `\Seen`, "$Junk"}, time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)},
	{"Grüße an Zoë", "Subject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\r\n\r\nhallo\r\n", []string{`\Seen`}, time.Date(2020, 2, 29, 12, 0, 0, 0, time.UTC)},
	{"Grüße an Zoë", strings.Repeat("x", 3<<20) + "\r\n", nil, time.Date(2020, 3, 1, 12, 0, 0, 0, time.UTC)},
}

func openStore(t *testing.T) *mailbox.Store {
	t.Helper()
	s, err := mailbox.Open(t.TempDir(), mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fill(t *testing.T, s *mailbox.Store, msgs []testMsg) {
	t.Helper()
	for _, m := range msgs {
		if err := s.CreateMailbox(m.box); err != nil && !errors.Is(err, mailbox.ErrExists) {
			t.Fatal(err)
		}
		if _, _, err := s.Append(m.box, strings.NewReader(m.body), mailbox.AppendOptions{Flags: m.flags, Date: m.date}); err != nil {
			t.Fatal(err)
		}
	}
}

// contents lists a store's messages as testMsgs, sorted by mailbox and body.
func contents(t *testing.T, s *mailbox.Store) []testMsg {
	t.Helper()
	boxes, err := s.Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	var out []testMsg
	for _, box := range boxes {
		msgs, err := s.Messages(box.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			r, err := s.OpenMessage(box.Name, m.UID)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, testMsg{box.Name, string(b), m.Flags, m.InternalDate})
		}
	}
	sortMsgs(out)
	return out
}

func sortMsgs(msgs []testMsg) {
	slices.SortFunc(msgs, func(a, b testMsg) int {
		return strings.Compare(a.box+"\x00"+a.body, b.box+"\x00"+b.body)
	})
}

func sameMsgs(t *testing.T, got, want []testMsg) {
	t.Helper()
	want = slices.Clone(want)
	for i := range want {
		want[i].flags = slices.Sorted(slices.Values(want[i].flags))
	}
	sortMsgs(want)
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.box != w.box || g.body != w.body || !slices.Equal(g.flags, w.flags) || !g.date.Equal(w.date) {
			t.Errorf("message %d: %s %v %v (%d bytes), want %s %v %v (%d bytes)",
				i, g.box, g.flags, g.date, len(g.body), w.box, w.flags, w.date, len(w.body))
		}
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	src := openStore(t)
	fill(t, src, testMsgs)
	dir := filepath.Join(t.TempDir(), "export")
	rep, err := Export(context.Background(), src, dir)
	if err != nil || rep.Messages != len(testMsgs) {
		t.Fatalf("Export = %+v, %v", rep, err)
	}
	checkWithPython(t, dir)

	dst := openStore(t)
	rep, err = ImportMaildir(context.Background(), dst, dir, "")
	if err != nil || rep.Messages != len(testMsgs) || len(rep.Notes) != 0 {
		t.Fatalf("ImportMaildir = %+v, %v", rep, err)
	}
	sameMsgs(t, contents(t, dst), testMsgs)
	rep, err = ImportMaildir(context.Background(), dst, dir, "")
	if err != nil || rep.Messages != 0 || rep.Duplicates != len(testMsgs) {
		t.Fatalf("second ImportMaildir = %+v, %v", rep, err)
	}
	sameMsgs(t, contents(t, dst), testMsgs)

	if _, err := Export(context.Background(), src, dir); !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("export into the earlier export: %v", err)
	}
}

// checkWithPython reads the export with Python's mailbox.Maildir: per
// folder, the bytes and info flags of every message.
func checkWithPython(t *testing.T, dir string) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Log("python3 not found: export not checked with mailbox.Maildir")
		return
	}
	const script = `
import json, mailbox, sys
root = mailbox.Maildir(sys.argv[1], factory=None, create=False)
out = []
def dump(name, md):
    for key in md.keys():
        msg = md.get_message(key)
        out.append({"box": name, "body": md.get_bytes(key).decode("latin-1"), "flags": msg.get_flags()})
dump("INBOX", root)
for f in root.list_folders():
    dump(f, root.get_folder(f))
json.dump(out, sys.stdout)
`
	out, err := exec.Command("python3", "-c", script, dir).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var got []struct{ Box, Body, Flags string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // box + body -> flags letters
	letters := map[string]string{`\Draft`: "D", `\Flagged`: "F", `\Answered`: "R", `\Seen`: "S", `\Deleted`: "T", "$Forwarded": "a", "$Junk": "a"}
	for _, m := range testMsgs {
		var l []string
		for _, f := range m.flags {
			l = append(l, letters[f])
		}
		slices.Sort(l)
		folder, _ := strings.CutPrefix(strings.ReplaceAll(m.box, "/", "."), "INBOX")
		if folder == "" {
			folder = "INBOX"
		}
		want[folder+"\x00"+latin1(m.body)] = strings.Join(l, "")
	}
	if len(got) != len(want) {
		t.Fatalf("python read %d messages, want %d", len(got), len(want))
	}
	for _, m := range got {
		flags, ok := want[m.Box+"\x00"+m.Body]
		if !ok || flags != m.Flags {
			t.Errorf("python: %s message of %d bytes with flags %q: want present with %q", m.Box, len(m.Body), m.Flags, flags)
		}
	}
}

// latin1 is s as Python's decode("latin-1") sees its bytes.
func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

func TestExportRefusesNonEmpty(t *testing.T) {
	s := openStore(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "precious"), []byte("x"), 0o600)
	if _, err := Export(context.Background(), s, dir); !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("Export into a non-empty directory: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "precious")); string(b) != "x" {
		t.Fatal("the file in the way was changed")
	}
}

func TestExportHostileName(t *testing.T) {
	s := openStore(t)
	fill(t, s, []testMsg{{"../../etc", "Subject: x\r\n\r\ny\r\n", nil, time.Now()}})
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if _, err := Export(context.Background(), s, dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("export wrote beside its directory: %v", entries)
	}
	dst := openStore(t)
	if _, err := ImportMaildir(context.Background(), dst, dir, ""); err != nil {
		t.Fatal(err)
	}
	if msgs, err := dst.Messages("../../etc"); err != nil || len(msgs) != 1 {
		t.Fatalf("imported ../../etc: %v %v", msgs, err)
	}
}

func TestImportMaildirJunk(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp", ".A.B/cur", "..x/cur"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o700)
	}
	os.WriteFile(filepath.Join(dir, "new", "1.abc"), []byte("Subject: new\n\nx\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "cur", "2.abc:2,SQQ"), []byte("Subject: cur\n\nx\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "cur", "3:2,S"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "tmp", "4.half"), []byte("Subject: half"), 0o600)
	os.WriteFile(filepath.Join(dir, "cur", ".hidden"), []byte("x"), 0o600)
	os.Symlink("/etc/passwd", filepath.Join(dir, "cur", "5:2,S"))
	os.WriteFile(filepath.Join(dir, ".A.B", "cur", "6:2,F"), []byte("Subject: sub\n\nx\n"), 0o600)

	s := openStore(t)
	rep, err := ImportMaildir(context.Background(), s, dir, "Old")
	if err != nil || rep.Messages != 3 {
		t.Fatalf("ImportMaildir = %+v, %v", rep, err)
	}
	if len(rep.Notes) != 4 { // ..x, .hidden, the link, the empty file
		t.Errorf("notes %q", rep.Notes)
	}
	got := contents(t, s)
	var names []string
	for _, m := range got {
		names = append(names, m.box+" "+strings.Join(m.flags, ","))
	}
	want := []string{`Old \Seen`, "Old ", `Old/A/B \Flagged`} // by body: "Subject: cur" first
	if !slices.Equal(names, want) {
		t.Fatalf("imported %q, want %q", names, want)
	}
}

const testMbox = "From alice@example.org Sat Jan  3 01:05:34 1996\n" +
	"Status: RO\nX-Status: A\nSubject: one\n\n>From the start\n>>From quoted\n\n" +
	"From bob@example.org Mon Feb 29 10:00:00 2016\n" +
	"Status: O\nSubject: two\n\nbody\n\n" +
	"From nobody unreadable date\nSubject: three\nX-Status: F\n\nthree\n\n" +
	"From again Sat Jan  3 01:05:34 1996\n" +
	"Status: RO\nX-Status: A\nSubject: one\n\n>From the start\n>>From quoted\n\n"

func TestImportMbox(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mbox")
	os.WriteFile(file, []byte(testMbox), 0o600)
	mtime := time.Date(2019, 7, 7, 7, 7, 7, 0, time.UTC)
	os.Chtimes(file, mtime, mtime)
	s := openStore(t)
	rep, err := ImportMbox(context.Background(), s, file, "Archive/2016")
	if err != nil || rep.Messages != 4 {
		t.Fatalf("ImportMbox = %+v, %v", rep, err)
	}
	one := "Status: RO\nX-Status: A\nSubject: one\n\nFrom the start\n>From quoted\n"
	d1996 := time.Date(1996, 1, 3, 1, 5, 34, 0, time.UTC)
	want := []testMsg{
		{"Archive/2016", one, []string{`\Answered`, `\Seen`}, d1996},
		{"Archive/2016", one, []string{`\Answered`, `\Seen`}, d1996},
		{"Archive/2016", "Status: O\nSubject: two\n\nbody\n", nil, time.Date(2016, 2, 29, 10, 0, 0, 0, time.UTC)},
		{"Archive/2016", "Subject: three\nX-Status: F\n\nthree\n", []string{`\Flagged`}, mtime},
	}
	all := contents(t, s)
	got := slices.DeleteFunc(all, func(m testMsg) bool { return m.box != "Archive/2016" })
	sameMsgs(t, got, want)
	rep, err = ImportMbox(context.Background(), s, file, "Archive/2016")
	if err != nil || rep.Messages != 0 || rep.Duplicates != 4 {
		t.Fatalf("second ImportMbox = %+v, %v", rep, err)
	}
	if subs, _ := s.Subscriptions(); !slices.Contains(subs, "Archive/2016") {
		t.Errorf("new mailbox not subscribed: %v", subs)
	}
}

func TestImportMboxBad(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t)
	notMbox := filepath.Join(dir, "notmbox")
	os.WriteFile(notMbox, []byte("Subject: x\n\nbody\n"), 0o600)
	if _, err := ImportMbox(context.Background(), s, notMbox, ""); err == nil || !strings.Contains(err.Error(), "not an mbox") {
		t.Fatalf("not an mbox: %v", err)
	}
	cut := filepath.Join(dir, "cut")
	os.WriteFile(cut, []byte(testMbox[:len(testMbox)-30]), 0o600)
	rep, err := ImportMbox(context.Background(), s, cut, "")
	if err != nil || rep.Messages != 4 || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "cut short") {
		t.Fatalf("cut mbox: %+v, %v", rep, err)
	}
}

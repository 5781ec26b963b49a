package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
)

func TestMailFileFlags(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "alice.db")
	if code, _, errs := runCmd(t, "", "-database", db, "-address"); code != exitOK {
		t.Fatalf("-address: %d %s", code, errs)
	}
	mbox := filepath.Join(dir, "mbox")
	os.WriteFile(mbox, []byte("From a Sat Jan  3 01:05:34 1996\nStatus: RO\nSubject: hi\n\n>From x\n\n"), 0o600)

	code, out, errs := runCmd(t, "", "-database", db, "-import-mbox", mbox, "-into", "Old")
	if code != exitOK || !strings.Contains(out, "imported 1 messages") {
		t.Fatalf("-import-mbox: %d %q %q", code, out, errs)
	}
	code, out, _ = runCmd(t, "", "-database", db, "-import-mbox", mbox, "-into", "Old")
	if code != exitOK || !strings.Contains(out, "imported 0 messages") || !strings.Contains(out, "1 already there") {
		t.Fatalf("second -import-mbox: %d %q", code, out)
	}
	export := filepath.Join(dir, "export")
	code, out, errs = runCmd(t, "", "-database", db, "-export", export)
	if code != exitOK || !strings.Contains(out, "exported 1 messages") {
		t.Fatalf("-export: %d %q %q", code, out, errs)
	}
	files, _ := filepath.Glob(filepath.Join(export, ".Old", "cur", "*:2,S"))
	if len(files) != 1 {
		t.Fatalf("exported files %v", files)
	}
	if b, _ := os.ReadFile(files[0]); string(b) != "Status: RO\nSubject: hi\n\nFrom x\n" {
		t.Fatalf("exported %q", b)
	}
	code, _, errs = runCmd(t, "", "-database", db, "-export", export)
	if code != exitUsage || !strings.Contains(errs, "not empty") {
		t.Fatalf("-export into the export: %d %q", code, errs)
	}
	db2 := filepath.Join(dir, "bob.db")
	runCmd(t, "", "-database", db2, "-address")
	code, out, errs = runCmd(t, "", "-database", db2, "-import-maildir", export)
	if code != exitOK || !strings.Contains(out, "imported 1 messages") {
		t.Fatalf("-import-maildir: %d %q %q", code, out, errs)
	}
}

func TestMailFileFlagErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "alice.db")
	runCmd(t, "", "-database", db, "-address")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-into", "X"}, exitUsage, "-into needs"},
		{[]string{"-export", dir + "/e", "-into", "X"}, exitUsage, "not -export"},
		{[]string{"-export", dir + "/e", "-import-mbox", "m"}, exitUsage, "one of"},
		{[]string{"-import-mbox", dir + "/missing"}, exitRuntime, "no such file"},
		{[]string{"-import-maildir", dir}, exitRuntime, "no cur or new"},
	}
	for _, c := range cases {
		code, _, errs := runCmd(t, "", append([]string{"-database", db}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
	code, _, errs := runCmd(t, "", "-database", dir+"/nodb", "-export", dir+"/e2")
	if code != exitStore || !strings.Contains(errs, "no database") {
		t.Errorf("missing database: %d %q", code, errs)
	}
}

func TestMailFileNodeRunning(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "alice.db")
	s, err := mailbox.Open(db, mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, _, errs := runCmd(t, "", "-database", db, "-export", dir+"/e")
	if code != exitStore || !strings.Contains(errs, "Stop it first") {
		t.Fatalf("database in use: exit %d, stderr %q", code, errs)
	}
}

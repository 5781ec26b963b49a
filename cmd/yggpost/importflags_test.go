package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/yggmail/yggmailtest"
)

// TestImportYggmailFlag: -import-yggmail imports and exits with one
// summary line (no progress: stderr is no terminal); -address then prints
// Yggmail's address; it is refused with another action, and a missing
// file is refused with exit 3.
func TestImportYggmailFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "yggpost")
	code, _, errs := runCmd(t, "", "-database", db, "-import-yggmail", yggmailtest.Fixture(t))
	if code != exitOK || !strings.Contains(errs, "imported "+yggmailtest.FixtureAddress+": 6 messages") || strings.Contains(errs, "\r") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if _, out, _ := runCmd(t, "", "-database", db, "-address"); strings.TrimSpace(out) != yggmailtest.FixtureAddress {
		t.Fatalf("-address after import: %q", out)
	}
	code, _, errs = runCmd(t, "", "-database", db, "-import-yggmail", yggmailtest.Fixture(t))
	if code != exitOK || !strings.Contains(errs, ": 0 messages") || !strings.Contains(errs, "6 stored by an earlier run") {
		t.Fatalf("second import: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runCmd(t, "", "-database", db, "-import-yggmail", yggmailtest.Fixture(t), "-address")
	if code != exitUsage || !strings.Contains(errs, "one of them at a time") {
		t.Fatalf("-import-yggmail with -address: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runCmd(t, "", "-database", filepath.Join(t.TempDir(), "x"), "-import-yggmail", filepath.Join(t.TempDir(), "nothing.db"))
	if code != exitStore || !strings.Contains(errs, "nothing.db") {
		t.Fatalf("missing file: exit %d, stderr %q", code, errs)
	}
}

// TestProgressLine: the line is rewritten at most every interval, and
// each finished mailbox leaves a line of its own.
func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := &progressLine{w: &out, every: 250 * time.Millisecond, now: func() time.Time { return clock }}
	for i := range int64(10) {
		clock = clock.Add(100 * time.Millisecond)
		p.update(node.ImportProgress{Mailbox: "INBOX", Messages: i + 1, TotalMessages: 20, Bytes: (i + 1) << 20, TotalBytes: 20 << 20})
	}
	p.update(node.ImportProgress{Mailbox: "INBOX", MailboxDone: true, Messages: 10, TotalMessages: 20, Bytes: 10 << 20, TotalBytes: 20 << 20})
	p.finish()
	got := out.String()
	if n := strings.Count(got, "\r"); n != 5 { // at 100 ms, 400, 700, 1000 and the mailbox's end
		t.Errorf("%d rewrites, want 5: %q", n, got)
	}
	if !strings.HasSuffix(got, "\rINBOX                    10/20 messages, 10.0 MiB/20.0 MiB\n") {
		t.Errorf("last line %q", got)
	}
}

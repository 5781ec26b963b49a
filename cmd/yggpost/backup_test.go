package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
)

// A running relay is backed up and asked its address through its control
// socket; the backup restores into a new directory, relay store included,
// with the same address; a used directory is refused.
func TestBackupAndRestoreOfRunningRelay(t *testing.T) {
	db := t.TempDir() + "/relay.db"
	var out, errs testkit.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, []string{"-database", db, "-relay", "-listen", "tcp://127.0.0.1:0",
			"-smtp", "127.0.0.1:0", "-imap", "127.0.0.1:0"}, strings.NewReader(""), &out, &errs)
	}()
	testkit.WaitFor(t, 10*time.Second, "the node running in "+errs.String(), func() bool {
		return strings.Contains(errs.String(), `msg="node running"`)
	})
	addr := addressOf(t, db) // through the socket: the database is locked
	file := filepath.Join(t.TempDir(), "relay.backup")
	if code, _, msg := runCmd(t, "", "-database", db, "-backup", file); code != exitOK {
		t.Fatalf("-backup of a running relay: exit %d: %s", code, msg)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("relay exit %d: %s", code, errs.String())
	}

	restored := filepath.Join(t.TempDir(), "restored.db")
	code, printed, msg := runCmd(t, "", "-database", restored, "-restore", file)
	if code != exitOK || printed != addr {
		t.Fatalf("-restore: exit %d, printed %q (want %q): %s", code, printed, addr, msg)
	}
	if _, err := os.Stat(filepath.Join(restored, "relay")); err != nil {
		t.Errorf("the relay store was not restored: %v", err)
	}
	if code, _, msg := runCmd(t, "", "-database", db, "-restore", file); code != exitStore || !strings.Contains(msg, "not empty") {
		t.Errorf("-restore into the used database: exit %d, %q", code, msg)
	}
	// A stopped node is backed up from its database directly.
	again := filepath.Join(t.TempDir(), "again.backup")
	if code, _, msg := runCmd(t, "", "-database", restored, "-backup", again); code != exitOK {
		t.Fatalf("-backup of a stopped node: exit %d: %s", code, msg)
	}
	if entries, _ := os.ReadDir(filepath.Dir(again)); len(entries) != 1 {
		t.Errorf("-backup left %d files beside the backup", len(entries))
	}
	if code, _, msg := runCmd(t, "", "-database", filepath.Join(t.TempDir(), "x"), "-restore", filepath.Join(t.TempDir(), "missing")); code != exitStore || !strings.Contains(msg, "-restore") {
		t.Errorf("-restore of a missing file: exit %d, %q", code, msg)
	}
}

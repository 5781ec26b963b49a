package node_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/control"
	"github.com/yggpost/yggpost/node/nodetest"
)

// storeInbox reads the INBOX of a stopped node's database.
func storeInbox(t *testing.T, db string) [][]byte {
	t.Helper()
	s, err := mailbox.Open(db, mailbox.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	defer s.Close()
	msgs, err := s.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		r, err := s.OpenMessage("INBOX", m.UID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// restoreInto restores a backup into a new directory and returns it.
func restoreInto(t *testing.T, backup []byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "restored")
	if err := node.Restore(dir, bytes.NewReader(backup), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("restore: %v", err)
	}
	return dir
}

// backupThroughSocket asks the node running on db for a backup.
func backupThroughSocket(t *testing.T, db string) []byte {
	t.Helper()
	out, err := control.Call(db, control.Request{Command: "backup"})
	if err != nil {
		t.Fatalf("backup through the control socket: %v", err)
	}
	defer out.Close()
	b, err := io.ReadAll(out)
	if err != nil {
		t.Fatalf("read backup: %v", err)
	}
	return b
}

// A running node backs up through its control socket while mail arrives:
// the copy restores elsewhere with the same address, and every message in
// it is whole and there once; a backup after the burst holds all of it.
func TestBackupOfRunningNode(t *testing.T) {
	t.Parallel()
	withControl := func(c *node.Config) { c.Control = true }
	bob := nodetest.Start(t, "bob", nodetest.Options{Listen: true, Tweak: withControl})
	alice := nodetest.Start(t, "alice", nodetest.Options{Peers: []string{bob.MeshURL()}})
	var want [][]byte
	for i := range 40 {
		want = append(want, nodetest.Message(alice.Addr, bob.Addr, fmt.Sprintf("backup burst %d", i), strings.Repeat("line\r\n", 200)))
	}
	if err := alice.SendMany(bob.Addr, want); err != nil {
		t.Fatal(err)
	}
	c := bob.IMAP()
	testkit.Poll(60*time.Second, func() bool {
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		return err == nil && *st.NumMessages > 0
	})

	during := restoreInto(t, backupThroughSocket(t, bob.DB))
	if got := addressOf(t, during); got != bob.Addr {
		t.Errorf("restored address %s, want %s", got, bob.Addr)
	}
	got := storeInbox(t, during)
	for _, m := range got {
		if !slices.ContainsFunc(want, func(w []byte) bool { return bytes.Equal(w, m) }) {
			t.Errorf("restored INBOX holds a message that was not sent: %.80q", m)
		}
	}
	t.Logf("backup during the burst holds %d of %d messages", len(got), len(want))
	nodetest.AssertExactlyOnce(t, got, dedupe(got))

	bob.WaitInbox(len(want), 90*time.Second)
	after := restoreInto(t, backupThroughSocket(t, bob.DB))
	nodetest.AssertExactlyOnce(t, storeInbox(t, after), want)
}

// dedupe returns msgs without repeats, to check that a list has none.
func dedupe(msgs [][]byte) [][]byte {
	var out [][]byte
	for _, m := range msgs {
		if !slices.ContainsFunc(out, func(o []byte) bool { return bytes.Equal(o, m) }) {
			out = append(out, m)
		}
	}
	return out
}

// Restore refuses a directory that holds anything, and a backup that is
// cut short or altered leaves nothing behind.
func TestRestoreRefusesAndLeavesNothing(t *testing.T) {
	t.Parallel()
	db := t.TempDir()
	n, err := node.Open(node.Config{Database: db, SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Peers: []string{"tcp://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := n.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	addr := n.Address()
	n.Close()
	full := buf.Bytes()
	log := slog.New(slog.DiscardHandler)

	if err := node.Restore(db, bytes.NewReader(full), log); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("restore into a used directory: %v", err)
	}
	for _, bad := range [][]byte{full[:len(full)/2], full[:len(full)-1], append(bytes.Clone(full[:len(full)-40]), bytes.Repeat([]byte{0}, 40)...)} {
		dir := filepath.Join(t.TempDir(), "target")
		if err := node.Restore(dir, bytes.NewReader(bad), log); err == nil {
			t.Fatalf("a backup of %d of %d bytes restored", len(bad), len(full))
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("a failed restore left %d entries in %s", len(entries), dir)
		}
	}
	if got := addressOf(t, restoreInto(t, full)); got != addr {
		t.Errorf("restored address %s, want %s", got, addr)
	}
}

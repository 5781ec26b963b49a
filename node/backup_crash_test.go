package node_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
)

// TestBackupAfterKillDuringBurst kills the receiving node with SIGKILL in
// the middle of a burst, backs up its database, restores the backup
// elsewhere and finds there every message the receiver acknowledged,
// exactly once, and nothing else.
func TestBackupAfterKillDuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills node processes")
	}
	bob, alice := startPair(t)

	filler := strings.Repeat(strings.Repeat("0123456789abcdef", 4)+"\r\n", 1<<10) // 66 KiB
	var want [][]byte
	for i := range 40 {
		want = append(want, nodetest.Message(alice.addr, bob.addr, fmt.Sprintf("backup crash %d", i), fmt.Sprintf("number %d\r\n%s", i, filler)))
	}
	if err := alice.client().SendMany(bob.addr, want); err != nil {
		t.Fatalf("send: %v", err)
	}
	had := bob.waitInboxAtLeast(5, 60*time.Second)
	bob.kill()
	// Stopped in order, the sender has removed from its outbox what the
	// receiver acknowledged; what it still holds was not acknowledged (or
	// its acknowledgement was not processed: such a message only counts
	// as not acknowledged, which weakens the test, never falsifies it).
	alice.stop()
	pending := outboxMessageIDs(t, alice.dbDir())
	t.Logf("receiver killed with at least %d of %d; %d not acknowledged", had, len(want), len(pending))

	n, err := node.Open(node.Config{Database: bob.dbDir(), SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Peers: []string{"tcp://127.0.0.1:1"}})
	if err != nil {
		t.Fatalf("open the killed node's database: %v", err)
	}
	var backup bytes.Buffer
	err = n.Backup(&backup)
	n.Close()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if err := node.Restore(restored, &backup, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("restore: %v", err)
	}

	var acked [][]byte
	for i, m := range want {
		if !pending[fmt.Sprintf("<backup.crash.%d@test>", i)] {
			acked = append(acked, m)
		}
	}
	got := storeInbox(t, restored)
	for _, m := range acked {
		if c := countEqual(got, m); c != 1 {
			t.Errorf("acknowledged message %.40q is in the restored INBOX %d times", m, c)
		}
	}
	for _, m := range got {
		if countEqual(want, m) != 1 {
			t.Errorf("restored INBOX holds a message that was not sent: %.80q", m)
		}
	}
	if len(acked) == 0 {
		t.Error("the receiver acknowledged nothing before it was killed; the test proves nothing")
	}
}

func countEqual(msgs [][]byte, m []byte) int {
	n := 0
	for _, x := range msgs {
		if bytes.Equal(x, m) {
			n++
		}
	}
	return n
}

// outboxMessageIDs opens a stopped node's database and returns the
// Message-IDs its outbox holds.
func outboxMessageIDs(t *testing.T, db string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for _, r := range outboxRows(t, db) {
		ids[r.MessageID] = true
	}
	return ids
}

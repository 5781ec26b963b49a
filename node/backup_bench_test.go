package node_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
)

// BenchmarkBackupRestore backs up a node database of BACKUP_BENCH_MB
// megabytes (default 50) of 50 KB messages to a file and restores it into
// a new directory, and reports the speed of each.
func BenchmarkBackupRestore(b *testing.B) {
	mb := 50
	if v, err := strconv.Atoi(os.Getenv("BACKUP_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	db := b.TempDir()
	fillStore(b, db, mb*1_000_000/50_000, 50_000)
	n, err := node.Open(node.Config{Database: db, SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Peers: []string{"tcp://127.0.0.1:1"}})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	file := filepath.Join(b.TempDir(), "bench.backup")
	for b.Loop() {
		f, err := os.Create(file)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := n.Backup(f); err != nil {
			b.Fatal(err)
		}
		f.Sync()
		f.Close()
		backupSecs := time.Since(start).Seconds()
		st, _ := os.Stat(file)
		f, _ = os.Open(file)
		start = time.Now()
		if err := node.Restore(filepath.Join(b.TempDir(), "restored"), f, slog.New(slog.DiscardHandler)); err != nil {
			b.Fatal(err)
		}
		f.Close()
		restoreSecs := time.Since(start).Seconds()
		b.ReportMetric(float64(st.Size())/1e6/backupSecs, "backup-MB/s")
		b.ReportMetric(float64(st.Size())/1e6/restoreSecs, "restore-MB/s")
		b.ReportMetric(float64(st.Size())/1e6, "file-MB")
	}
}

// fillStore appends count messages of size bytes to INBOX of a new store.
func fillStore(b *testing.B, db string, count, size int) {
	s, err := mailbox.Open(db, mailbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef\r\n"), size/50)
	for i := range count {
		msg := append([]byte(fmt.Sprintf("Subject: bench %d\r\n\r\n", i)), body...)
		if _, _, err := s.Append("INBOX", io.NopCloser(bytes.NewReader(msg)), mailbox.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

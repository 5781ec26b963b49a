package yggmail_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/yggmail/yggmailtest"
)

// BenchmarkImport imports a generated Yggmail database of
// YGGMAIL_BENCH_MB megabytes (default 20) of 50 KB messages in three
// mailboxes into a new node database, and reports messages/s, MB/s and,
// sampled every 100 ms during the import, the peak live Go heap (after
// GC) and the peak anonymous resident memory (RssAnon: the heap plus
// SQLite's own memory, without the file pages Badger maps, which the
// kernel may drop at will):
//
//	YGGMAIL_BENCH_MB=1000 go test ./node/yggmail -run XXX -bench Import -benchtime 1x
func BenchmarkImport(b *testing.B) {
	mb := 20
	if v, err := strconv.Atoi(os.Getenv("YGGMAIL_BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	const size = 50_000
	src := filepath.Join(b.TempDir(), "yggmail.db")
	w := yggmailtest.New(b, src, newKey(b), "")
	w.AddMailbox("Archive", true)
	w.AddMailbox("Outbox", true)
	perBox := mb * 1_000_000 / size / 3
	for _, box := range []string{"INBOX", "Archive", "Outbox"} {
		w.AddMessages(box, perBox, size, time.Unix(1_600_000_000, 0))
	}
	w.Close()
	b.ResetTimer()
	for b.Loop() {
		importOnce(b, src)
	}
}

func importOnce(b *testing.B, src string) {
	cfg := node.Config{Database: filepath.Join(b.TempDir(), "yggpost")}
	var peakLive, peakAnon uint64
	var last time.Time
	start := time.Now()
	sum, err := node.ImportYggmail(context.Background(), cfg, src, func(node.ImportProgress) {
		if time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		peakLive = max(peakLive, liveHeap())
		peakAnon = max(peakAnon, procStatus("RssAnon:"))
	})
	if err != nil {
		b.Fatal(err)
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(sum.Messages)/secs, "msgs/s")
	b.ReportMetric(float64(sum.Bytes)/1e6/secs, "MB/s")
	b.ReportMetric(float64(peakLive)/1e6, "peak-live-heap-MB")
	b.ReportMetric(float64(peakAnon)/1e6, "peak-RssAnon-MB")
	b.Logf("%d messages, %.0f MB in %.1fs", sum.Messages, float64(sum.Bytes)/1e6, secs)
}

// liveHeap is the Go heap that the last garbage collection found live.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// procStatus reads a field of /proc/self/status given in kB, in bytes; 0
// where there is none.
func procStatus(field string) uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

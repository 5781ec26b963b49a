package mailbox

import (
	"crypto/rand"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"
)

// patternReader yields n bytes cycling over a random block, so a large body
// needs no large buffer in the benchmark itself.
type patternReader struct {
	block []byte
	left  int64
	off   int
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n := copy(b, p.block[p.off:])
	p.off = (p.off + n) % len(p.block)
	p.left -= int64(n)
	return n, nil
}

// peakHeap samples the heap until stop is called and returns the peak.
func peakHeap() (stop func() uint64) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak }
}

func benchmarkAppend(b *testing.B, size int64) {
	s, _ := openTest(b, Options{MaxMessageSize: 1 << 30})
	block := make([]byte, 1<<20+7)
	rand.Read(block)
	runtime.GC()
	stop := peakHeap()
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := s.Append("INBOX", &patternReader{block: block, left: size}, AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MB")
}

func BenchmarkAppend1KB(b *testing.B)  { benchmarkAppend(b, 1<<10) }
func BenchmarkAppend50MB(b *testing.B) { benchmarkAppend(b, 50<<20) }

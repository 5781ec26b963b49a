package mailbox

import (
	"bytes"
	"crypto/rand"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
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

// BenchmarkAppendConcurrent appends 1 KiB messages from 16 goroutines at
// once, as concurrent deliveries do; msgs/s is the store's throughput.
func BenchmarkAppendConcurrent(b *testing.B) {
	s, _ := openTest(b, Options{})
	body := make([]byte, 1<<10)
	rand.Read(body)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 16 {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				if _, _, err := s.Append("INBOX", bytes.NewReader(body), AppendOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkDeleteOutboundConcurrent deletes outbox rows of 1 KiB from 16
// goroutines at once, as a burst of delivery receipts does.
func BenchmarkDeleteOutboundConcurrent(b *testing.B) {
	s, _ := openTest(b, Options{MaxOutboxCount: b.N + 1})
	body := make([]byte, 1<<10)
	for i := range b.N {
		o := Outbound{ID: [16]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}}
		if err := s.Enqueue(o, bytes.NewReader(body)); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				if err := s.DeleteOutbound([16]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

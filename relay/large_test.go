package relay

import (
	"bytes"
	"crypto/sha256"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestLargeEnvelopeMemory streams a 64 MiB envelope in and out and checks
// the heap never grows by more than a fraction of it.
func TestLargeEnvelopeMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB through Badger")
	}
	const body = 64 << 20
	r, _, _ := testRelay(t, func(o *Options) { o.MaxEnvelope = 128 << 20; o.MemberBytes = 1 << 30 })
	register(t, r, bobKey, "")
	size := envelope.SealedSize(body)
	pr, pw := io.Pipe()
	in := sha256.New()
	sealed := make(chan error, 1)
	go func() {
		_, err := envelope.Seal(io.MultiWriter(in, pw), aliceKey, bobAddr, envelope.NewID(), time.Now(), io.LimitReader(zeros{}, body))
		pw.CloseWithError(err)
		sealed <- err
	}()
	base, peak := heapSampler(t)
	rc, err := r.Deposit(aliceAddr, size, pr)
	if err != nil {
		t.Fatal(err)
	}
	rd, n, err := r.Open(bobAddr, rc.ID)
	if err != nil || n != size {
		t.Fatalf("Open = %d, %v", n, err)
	}
	out := sha256.New()
	if _, err := io.Copy(out, rd); err != nil {
		t.Fatal(err)
	}
	rd.Close()
	grown := int64(peak()) - int64(base)
	if err := <-sealed; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in.Sum(nil), out.Sum(nil)) {
		t.Fatal("64 MiB envelope differs after the round trip")
	}
	t.Logf("heap %d MiB before, peak growth %d MiB", base>>20, grown>>20)
	if grown > 24<<20 {
		t.Fatalf("heap grew by %d MiB for a %d MiB envelope", grown>>20, size>>20)
	}
}

// heapSampler returns the heap in use after a GC and starts sampling it
// every millisecond; the function returned stops and gives the peak.
func heapSampler(t testing.TB) (uint64, func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var ms runtime.MemStats
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	stopped := false
	var p uint64
	end := func() uint64 {
		if !stopped {
			stopped = true
			close(stop)
			p = <-done
		}
		return p
	}
	t.Cleanup(func() { end() })
	return ms.HeapInuse, end
}

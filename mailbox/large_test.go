package mailbox

import (
	"crypto/rand"
	"crypto/sha256"
	"io"
	"runtime"
	"testing"
)

// TestLargeBodyStreams appends and reads back an 80 MB body and checks that
// it never sat whole in memory.
func TestLargeBodyStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("large body")
	}
	const size = 80 << 20
	s, _ := openTest(t, Options{})
	block := make([]byte, 1<<20+7)
	rand.Read(block)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := peakHeap()

	in := sha256.New()
	body := io.TeeReader(&patternReader{block: block, left: size}, in)
	m, _, err := s.Append("INBOX", body, AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.OpenMessage("INBOX", m.UID)
	if err != nil {
		t.Fatal(err)
	}
	out := sha256.New()
	n, err := io.Copy(out, r)
	r.Close()
	peak := stop()
	if err != nil || n != size || m.Size != size {
		t.Fatalf("read %d of %d bytes: %v", n, size, err)
	}
	if string(in.Sum(nil)) != string(out.Sum(nil)) {
		t.Fatal("body read back differs")
	}
	grew := int64(peak) - int64(base.HeapAlloc)
	t.Logf("heap grew by %d MB", grew>>20)
	if grew > size/2 {
		t.Errorf("heap grew by %d MB for an %d MB body", grew>>20, size>>20)
	}
}

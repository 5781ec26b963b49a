package mailbox

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
)

// snapshotDir copies the files of a live store, as a crash would leave
// them: the copy is opened without the original ever being closed.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		copyFile(t, filepath.Join(dir, e.Name()), filepath.Join(dst, e.Name()))
	}
	return dst
}

// copyFile copies a file, leaving holes where the source has zero blocks
// (Badger preallocates its logs, so most of them is zeros).
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	buf, zero := make([]byte, 1<<20), make([]byte, 1<<20)
	var size int64
	for {
		n, err := io.ReadFull(in, buf)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			if _, err := out.WriteAt(buf[:n], size); err != nil {
				t.Fatal(err)
			}
		}
		size += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := out.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

// TestAcknowledgedSurvivesCrash: what Append and Enqueue acknowledged is in
// the files at that moment, without Close.
func TestAcknowledgedSurvivesCrash(t *testing.T) {
	s, dir := openTest(t, Options{})
	big := randomBytes(t, 2*chunkSize+3)
	id := [16]byte{7}
	m, _, err := s.Append("INBOX", bytes.NewReader(big), AppendOptions{EnvelopeID: &id, Flags: []string{`\Flagged`}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(outbound(5), bytes.NewReader([]byte("sealed"))); err != nil {
		t.Fatal(err)
	}
	crashed := reopen(t, snapshotDir(t, dir), Options{})
	if !bytes.Equal(readBody(t, crashed, "INBOX", m.UID), big) {
		t.Error("appended body lost in the crash")
	}
	if _, dup, err := crashed.Append("INBOX", bytes.NewReader(big), AppendOptions{EnvelopeID: &id}); err != nil || !dup {
		t.Errorf("envelope id lost in the crash: dup=%v err=%v", dup, err)
	}
	list, err := crashed.Outbox()
	if err != nil || len(list) != 1 || list[0].ID != outbound(5).ID {
		t.Errorf("outbox after crash: %+v, %v", list, err)
	}
}

// gatedReader passes reads through once open is closed, and reports its
// first read on started.
type gatedReader struct {
	r       io.Reader
	started chan struct{}
	open    chan struct{}
	once    bool
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if !g.once {
		g.once = true
		close(g.started)
		<-g.open
	}
	return g.r.Read(p)
}

// TestCloseDuringSelfDelivery: an Append whose body streams from a reader
// of the same store (delivery to oneself) must not deadlock Close.
func TestCloseDuringSelfDelivery(t *testing.T) {
	s, _ := openTest(t, Options{})
	if err := s.Enqueue(outbound(1), bytes.NewReader(randomBytes(t, 3*chunkSize))); err != nil {
		t.Fatal(err)
	}
	r, err := s.OpenOutbound(outbound(1).ID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	g := &gatedReader{r: r, started: make(chan struct{}), open: make(chan struct{})}
	appended := make(chan error, 1)
	go func() {
		_, _, err := s.Append("INBOX", g, AppendOptions{})
		appended <- err
	}()
	<-g.started
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	testkit.WaitFor(t, 5*time.Second, "the gate to shut", s.gate.IsShut)
	close(g.open)
	select {
	case err := <-appended:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Append during Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Append deadlocked")
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close deadlocked")
	}
}

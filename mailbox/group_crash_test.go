package mailbox

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/chunkstore"
)

// crashChildEnv names the store directory of the child process of
// TestKillDuringGroupCommit (this test binary, re-executed).
const crashChildEnv = "YGGPOST_MAILBOX_CRASH_CHILD"

// TestKillDuringGroupCommit kills, with SIGKILL, a process appending from
// 16 goroutines at once (so in group commits), some appends repeating an
// envelope id. After reopening, every append the child was answered for
// is stored exactly once, every message stored is whole and found by its
// envelope id, the mailbox counters match the messages, and no body is
// left without a reference.
func TestKillDuringGroupCommit(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		appendUntilKilled(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringGroupCommit$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := readAcks(t, out, 400)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	s := reopen(t, dir, Options{})
	stored := checkInbox(t, s, -1)
	for n, uid := range acked {
		if stored[n] != uid {
			t.Errorf("acknowledged envelope %d (UID %d) stored as UID %d", n, uid, stored[n])
		}
	}
	checkNoOrphans(t, s)
	t.Logf("%d appends acknowledged before the kill, %d stored", len(acked), len(stored))
}

// readAcks reads the child's "A <id> <uid>" lines until want of them
// came (or the child ended) and returns them.
func readAcks(t *testing.T, out interface{ Read([]byte) (int, error) }, want int) map[int]uint32 {
	t.Helper()
	acked := map[int]uint32{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for len(acked) < want && sc.Scan() {
			var n int
			var uid uint32
			if _, err := fmt.Sscanf(sc.Text(), "A %d %d", &n, &uid); err == nil {
				acked[n] = uid
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the child did not acknowledge enough appends")
	}
	if len(acked) < want {
		t.Fatalf("the child ended after %d acknowledgements", len(acked))
	}
	return acked
}

// checkNoOrphans checks that every chunk belongs to a referenced blob.
func checkNoOrphans(t *testing.T, s *Store) {
	t.Helper()
	chunks, err := s.keysWithPrefix([]byte{tagChunk})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range chunks {
		id, _, ok := chunkstore.ParseChunkKey(tagChunk, k)
		if refs, err := s.keysWithPrefix(refKey(id)); !ok || err != nil || len(refs) != 1 {
			t.Fatalf("chunk %x has no reference count", k)
		}
	}
}

// appendUntilKilled is the child: 16 goroutines append envelopes, every
// fifth time repeating the previous one, and print each acknowledged one.
func appendUntilKilled(dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for k := 0; k < 100000; k++ {
				n := g*100000 + k
				if k%5 == 4 {
					n-- // a repeat: answered as a duplicate
				}
				id := envID(n)
				m, dup, err := s.Append("INBOX", bytes.NewReader(envBody(n, 0)), AppendOptions{EnvelopeID: &id})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(3)
				}
				if k%5 == 4 && !dup {
					fmt.Fprintln(os.Stderr, "child: a repeated envelope id was stored again")
					os.Exit(4)
				}
				mu.Lock()
				fmt.Printf("A %d %d\n", n, m.UID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(0)
}

package relay

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/chunkstore"
)

// crashChildEnv names the relay directory of the child process of
// TestKillDuringGroupCommit (this test binary, re-executed).
const crashChildEnv = "YGGPOST_RELAY_CRASH_CHILD"

func crashOptions(o *Options) {
	o.Now = time.Now
	o.MemberEnvelopes, o.MemberBytes, o.MaxDeposits = 1<<30, 1<<40, 64
}

// TestKillDuringGroupCommit kills, with SIGKILL, a relay process into which
// 16 goroutines deposit at once, each acking half of what it deposited
// with AckAll. After reopening, every deposit answered with a receipt and
// not acked is held whole, every acked one is gone, the counters match
// what is held, and no chunk is left without its record.
func TestKillDuringGroupCommit(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		depositUntilKilled(dir)
		return
	}
	r, _, dir := testRelay(t, crashOptions)
	register(t, r, bobKey, "")
	opts := r.opts
	r.Close()
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
	child := readChild(bufio.NewScanner(out))
	if !child.take(400, 60*time.Second) {
		t.Fatal("the child did not answer 400 deposits and acks")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Every ack the child began is known once its output ends.
	if !child.take(-1, 10*time.Second) {
		t.Fatal("the child's output did not end")
	}
	cmd.Wait()
	r = reopen(t, dir, opts)
	p, err := r.Pending(bobAddr)
	if err != nil {
		t.Fatal(err)
	}
	held := map[envelope.ID]bool{}
	var size int64
	for _, h := range p {
		held[h.ID] = true
		size += h.Size
		hdr, err := envelope.ReadHeader(bytes.NewReader(fetch(t, r, bobAddr, h.ID)))
		if err != nil || hdr.ID != h.ID {
			t.Fatalf("envelope %s damaged: %v", h.ID, err)
		}
	}
	// An envelope whose ack began but was not answered may be either.
	for id := range child.deposited {
		if !child.asked[id] && !held[id] || child.acked[id] && held[id] {
			t.Errorf("envelope %s: ack asked %v, answered %v; held %v", id, child.asked[id], child.acked[id], held[id])
		}
	}
	if s := r.Status(); s.Envelopes != len(p) || s.Bytes != size {
		t.Errorf("Status %+v, but %d envelopes of %d bytes held", s, len(p), size)
	}
	checkRelayOrphans(t, r)
	t.Logf("%d deposits and %d acks answered before the kill, %d held after", len(child.deposited), len(child.acked), len(p))
}

// childLines reads the child's "D <id>", "A <id>" and "K <id>" lines.
type childLines struct {
	lines                   chan string
	deposited, asked, acked map[envelope.ID]bool
}

func readChild(sc *bufio.Scanner) *childLines {
	c := &childLines{lines: make(chan string, 64),
		deposited: map[envelope.ID]bool{}, asked: map[envelope.ID]bool{}, acked: map[envelope.ID]bool{}}
	go func() {
		defer close(c.lines)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	return c
}

// take records lines until want of them came (want < 0: until the child's
// output ends) and reports whether they did.
func (c *childLines) take(want int, within time.Duration) bool {
	deadline := time.After(within)
	for n := 0; want < 0 || n < want; n++ {
		var line string
		var ok bool
		select {
		case line, ok = <-c.lines:
		case <-deadline:
			return false
		}
		if !ok {
			return want < 0
		}
		kind, hexID, _ := strings.Cut(line, " ")
		var id envelope.ID
		if b, err := hex.DecodeString(hexID); err == nil && len(b) == len(id) {
			copy(id[:], b)
		}
		map[string]map[envelope.ID]bool{"D": c.deposited, "A": c.asked, "K": c.acked}[kind][id] = true
	}
	return true
}

// checkRelayOrphans checks that every chunk belongs to a held record.
func checkRelayOrphans(t *testing.T, r *Relay) {
	t.Helper()
	blobs := map[blobID]bool{}
	if err := r.eachHeld([]byte{tagHeld}, func(_ envelope.Address, _ envelope.ID, h heldRec) { blobs[h.blob] = true }); err != nil {
		t.Fatal(err)
	}
	chunks, err := r.keysWithPrefix([]byte{tagChunk})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range chunks {
		if id, _, ok := chunkstore.ParseChunkKey(tagChunk, k); !ok || !blobs[id] {
			t.Fatalf("chunk %x belongs to no held envelope", k)
		}
	}
}

// depositUntilKilled is the child: 16 goroutines deposit 1 KiB envelopes
// for bob, and after every four ack the first two with AckAll, printing
// each deposit answered, each ack as it begins and once answered.
func depositUntilKilled(dir string) {
	opts := Options{Key: relayKey, DepositRate: -1}
	crashOptions(&opts)
	r, err := Open(dir, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	var buf bytes.Buffer
	if _, err := envelope.Seal(&buf, aliceKey, bobAddr, envelope.NewID(), time.Now(), bytes.NewReader(randomBody(1024, 7))); err != nil {
		os.Exit(2)
	}
	var mu sync.Mutex
	say := func(kind string, ids ...envelope.ID) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			fmt.Printf("%s %x\n", kind, id[:])
		}
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			var four []envelope.ID
			for k := range 100000 {
				e := withID(buf.Bytes(), uint64(g*1000000+k))
				rc, err := r.Deposit(aliceAddr, int64(len(e)), bytes.NewReader(e))
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(3)
				}
				say("D", rc.ID)
				if four = append(four, rc.ID); len(four) == 4 {
					say("A", four[:2]...)
					if err := r.AckAll(bobAddr, four[:2]); err != nil {
						fmt.Fprintln(os.Stderr, "child:", err)
						os.Exit(3)
					}
					say("K", four[:2]...)
					four = four[:0]
				}
			}
		})
	}
	wg.Wait()
	os.Exit(0)
}

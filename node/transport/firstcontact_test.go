package transport

import (
	"context"
	"crypto/ed25519"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestFirstContactThroughHub starts fresh lines A—M—B, a few at a time,
// and has A dial B at once over each, as two users meeting through a hub
// do. The first contact waits for the mesh to form its spanning tree (one
// to three routing rounds of a second) and should then take a handshake;
// a dial that hears nothing for 20 s is the bug this guards against: the
// receiver's half of the encrypted session waiting, for up to a minute, on
// a path back to the dialer that it looked up once, too early (see
// answerLookup). It hit about one line in ten before the fix.
func TestFirstContactThroughHub(t *testing.T) {
	t.Parallel()
	const lines, together = 12, 4
	const deadline = 20 * time.Second // the stuck case lasts about a minute
	var mu sync.Mutex
	var took []time.Duration
	for round := 0; round < lines/together; round++ {
		var wg sync.WaitGroup
		for range together {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := startMesh(t, newKey(t))
				m := startMesh(t, newKey(t), a)
				b := startMesh(t, newKey(t), m)
				serveEcho(b)
				start := time.Now()
				if err := dialEchoWithin(a, b.PublicKey(), "first contact", deadline); err != nil {
					t.Errorf("first contact over a fresh line: %v after %v", err, time.Since(start))
					return
				}
				mu.Lock()
				took = append(took, time.Since(start).Round(time.Millisecond))
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	slices.Sort(took)
	t.Logf("first contacts over fresh lines: %v", took)
}

// dialEchoWithin dials to from m and echoes msg, all within wait.
func dialEchoWithin(m *Mesh, to ed25519.PublicKey, msg string, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := m.Dial(ctx, to)
	if err != nil {
		return err
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	return echo(c, msg, time.Until(deadline))
}

// TestLookedUpNodeLooksUpTheAsker checks the receiver's half of a first
// contact: a node that is looked up by another looks that node up in turn
// (answerLookup), so that it has a path back before it has traffic of its
// own to send. A keeps probing B, as a waiting dial does; without the
// answer B never learns a path to A here, since nothing is sent.
func TestLookedUpNodeLooksUpTheAsker(t *testing.T) {
	t.Parallel()
	a := startMesh(t, newKey(t))
	m := startMesh(t, newKey(t), a)
	b := startMesh(t, newKey(t), m)
	start := time.Now()
	if _, ok := probeUntilReachable(a, b.PublicKey(), 15*time.Second); !ok {
		t.Fatal("A found no path to B")
	}
	for deadline := time.Now().Add(5 * time.Second); !knowsPath(b, a.PublicKey()); {
		if time.Now().After(deadline) {
			t.Fatal("B was looked up by A but has no path back to A")
		}
		a.Probe(b.PublicKey())
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("B had a path back to A %v after the line started", time.Since(start))
}

// knowsPath reports whether m's mesh has a path to key.
func knowsPath(m *Mesh, key ed25519.PublicKey) bool {
	for _, p := range m.core.GetPaths() {
		if p.Key.Equal(key) {
			return true
		}
	}
	return false
}

package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	iwn "github.com/Arceliar/ironwood/network"
)

// timeline records named moments relative to a start, for the first-contact
// benchmark's breakdown.
type timeline struct {
	start time.Time
	mu    sync.Mutex
	marks []string
	first map[string]time.Duration
}

func newTimeline() *timeline {
	return &timeline{start: time.Now(), first: map[string]time.Duration{}}
}

// mark notes what happened now; only the first occurrence of a name is
// kept for the metrics, all go to the log.
func (tl *timeline) mark(name, detail string) {
	at := time.Since(tl.start)
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if _, ok := tl.first[name]; !ok {
		tl.first[name] = at
	}
	tl.marks = append(tl.marks, fmt.Sprintf("%7.1f ms  %s %s", float64(at.Microseconds())/1000, name, detail))
}

func (tl *timeline) at(name string) (time.Duration, bool) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	d, ok := tl.first[name]
	return d, ok
}

func (tl *timeline) String() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return strings.Join(tl.marks, "\n")
}

// traceLookups marks every path lookup that passes through m's router.
func traceLookups(tl *timeline, name string, m *Mesh) {
	m.core.PacketConn.PacketConn.Debug.SetDebugLookupLogger(func(info iwn.DebugLookupInfo) {
		m.lookedUp(info)
		tl.mark("lookup@"+name, fmt.Sprintf("from %x for %x", info.Key[:4], info.Target[:4]))
	})
}

// watchLinks marks m's first peering link.
func watchLinks(ctx context.Context, tl *timeline, name string, m *Mesh) {
	go func() {
		select {
		case <-m.LinkChanges():
			tl.mark("link@"+name, "")
		case <-ctx.Done():
		}
	}()
}

// watchTree marks when m's spanning tree first names key, and when m's own
// entry first has a parent other than itself (it joined a tree).
func watchTree(ctx context.Context, tl *timeline, name string, m *Mesh, key ed25519.PublicKey) {
	go func() {
		joined, knows := false, false
		for ctx.Err() == nil && !(joined && knows) {
			for _, e := range m.core.GetTree() {
				if !joined && e.Key.Equal(m.self) && !e.Parent.Equal(m.self) {
					joined = true
					tl.mark("tree-joined@"+name, "")
				}
				if !knows && e.Key.Equal(key) {
					knows = true
					tl.mark("tree-knows-peer@"+name, "")
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
}

// BenchmarkFirstContact measures the first stream between two nodes that
// start cold and are peered only through a third (hub) node that is
// already running: A and B start, A dials B, and the clock stops when B has
// accepted the stream and read its first byte. It reports the moments of
// the steps on the way (ms after the start) as metrics; with -v it logs the
// whole timeline of each iteration.
//
// The hub stands for a node of an established mesh: it has the lowest of
// the three keys, so that it stays on the path to the tree's root as a
// long-running node would, and it has been up for 0, 250, 500 or 750 ms
// (in turn) when A and B start, because the routers' once-a-second rounds
// run at a phase set by each node's start and the first contact depends on
// the hub's.
// The one-hop case dials the hub itself: a member reaching its relay.
func BenchmarkFirstContact(b *testing.B) {
	b.Run("two-hops", func(b *testing.B) { benchFirstContact(b, false) })
	b.Run("one-hop", func(b *testing.B) { benchFirstContact(b, true) })
}

func benchFirstContact(b *testing.B, toHub bool) {
	var sums map[string]float64
	for i := range b.N {
		b.StopTimer()
		keys := []ed25519.PrivateKey{newKey(b), newKey(b), newKey(b)}
		slices.SortFunc(keys, func(x, y ed25519.PrivateKey) int {
			return bytes.Compare(x.Public().(ed25519.PublicKey), y.Public().(ed25519.PublicKey))
		})
		hub := startMesh(b, keys[0])
		keyA, keyB := keys[1], keys[2]
		if i%2 == 1 {
			keyA, keyB = keyB, keyA
		}
		<-time.After(time.Duration(i%4) * 250 * time.Millisecond) // the hub's phase, see above
		b.StartTimer()
		tl := newTimeline()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		a := startMeshLogged(b, keyA, tl, hub)
		bb := startMeshLogged(b, keyB, tl, hub)
		tl.mark("started", "")
		to := bb
		if toHub {
			to = hub
		}
		observe(ctx, tl, hub, a, to)
		accepted := make(chan error, 1)
		go func() { accepted <- acceptByte(to) }()
		c, err := a.Dial(ctx, to.PublicKey())
		if err != nil {
			b.Fatalf("%v; timeline:\n%s", err, tl)
		}
		tl.mark("dialled", "")
		if _, err := c.Write([]byte(" ")); err != nil {
			b.Fatal(err)
		}
		if err := <-accepted; err != nil {
			b.Fatal(err)
		}
		tl.mark("accepted", "")
		b.StopTimer()
		cancel()
		b.Logf("iteration %d:\n%s", i, tl)
		sums = addMetrics(sums, tl)
		_ = c.Close()
		for _, m := range []*Mesh{a, bb, hub} {
			_ = m.Close()
		}
		b.StartTimer()
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range sums {
			if !yield(k) {
				return
			}
		}
	}) {
		b.ReportMetric(sums[name]/float64(b.N), name+"-ms")
	}
}

// startMeshLogged is startMesh with the mesh's debug log going to tl.
func startMeshLogged(b *testing.B, key ed25519.PrivateKey, tl *timeline, peers ...*Mesh) *Mesh {
	b.Helper()
	cfg := Config{PrivateKey: key, Listen: []string{"tcp://127.0.0.1:0"}, Logger: timelineLogger(tl, key)}
	for _, p := range peers {
		cfg.Peers = append(cfg.Peers, p.ListenAddrs()[0])
	}
	m, err := New(cfg)
	if err != nil {
		b.Fatalf("start mesh: %v", err)
	}
	b.Cleanup(func() { _ = m.Close() })
	return m
}

func observe(ctx context.Context, tl *timeline, hub, a, b *Mesh) {
	traceLookups(tl, "A", a)
	traceLookups(tl, "B", b)
	if hub != b {
		traceLookups(tl, "hub", hub)
		watchLinks(ctx, tl, "B", b)
	}
	watchLinks(ctx, tl, "A", a)
	watchTree(ctx, tl, "A", a, b.self)
	watchTree(ctx, tl, "B", b, a.self)
	go func() {
		for ctx.Err() == nil {
			if a.treeReaches(b.self) {
				tl.mark("tree-reaches@A", "")
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	go func() {
		for {
			select {
			case k, ok := <-a.Reachable():
				if !ok {
					return
				}
				if k.Equal(b.self) {
					tl.mark("path-found@A", "")
				}
			case <-ctx.Done():
				return
			}
		}
	}()
}

// acceptByte accepts one stream on m and reads its first byte.
func acceptByte(m *Mesh) error {
	c, _, err := m.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	var one [1]byte
	if _, err := io.ReadFull(c, one[:]); err != nil {
		return err
	}
	if !bytes.Equal(one[:], []byte(" ")) {
		return fmt.Errorf("first byte %q, want a space", one[:])
	}
	return nil
}

func addMetrics(sums map[string]float64, tl *timeline) map[string]float64 {
	if sums == nil {
		sums = map[string]float64{}
	}
	for _, name := range []string{"link@A", "tree-joined@A", "tree-knows-peer@A", "tree-reaches@A", "lookup@B", "path-found@A", "dialled", "accepted"} {
		if d, ok := tl.at(name); ok {
			sums[name] += float64(d.Microseconds()) / 1000
		}
	}
	return sums
}

// timelineHandler is a slog.Handler that marks every record on a timeline,
// tagged with the first bytes of the node's key.
type timelineHandler struct {
	tl    *timeline
	node  string
	attrs string
}

func timelineLogger(tl *timeline, key ed25519.PrivateKey) *slog.Logger {
	pub := key.Public().(ed25519.PublicKey)
	return slog.New(&timelineHandler{tl: tl, node: fmt.Sprintf("%x", pub[:4])})
}

func (h *timelineHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *timelineHandler) Handle(_ context.Context, r slog.Record) error {
	var attrs strings.Builder
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "component" {
			fmt.Fprintf(&attrs, " %s=%v", a.Key, a.Value)
		}
		return true
	})
	h.tl.mark("log", fmt.Sprintf("[%s] %s%s", h.node, r.Message, attrs.String()))
	return nil
}

func (h *timelineHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *timelineHandler) WithGroup(string) slog.Handler      { return h }

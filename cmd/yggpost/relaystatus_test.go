package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/relay"
)

var sampleStatus = relay.Status{
	Members: 3, Envelopes: 12, Bytes: 5 << 20, Forwarding: 2, ForwardingBytes: 1536,
	Deposits: 40, Duplicates: 4, Refused: 5, HandOvers: 26, Forwarded: 1, Dropped: 6, Expired: 7,
}

func TestWriteRelayStatus(t *testing.T) {
	var b bytes.Buffer
	if err := writeRelayStatus(&b, sampleStatus); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 13 || !strings.HasPrefix(lines[0], "relay status at ") {
		t.Fatalf("table:\n%s", b.String())
	}
	for _, want := range []string{
		"members 3", "envelopes held 12", "bytes held 5242880 5.0 MiB", "held for forwarding 2",
		"bytes for forwarding 1536 1.5 KiB", "deposits 40", "duplicates 4", "refused 5",
		"hand-overs 26", "forwarded 1", "dropped 6", "expired 7",
	} {
		if !containsFields(lines[1:], want) {
			t.Errorf("no row %q in\n%s", want, b.String())
		}
	}
	// The values form one column.
	col := strings.Index(lines[1], "3")
	for _, l := range lines[2:] {
		if c := strings.IndexAny(l, "0123456789"); c != col {
			t.Errorf("value of %q starts at column %d, want %d", l, c, col)
		}
	}
}

// containsFields reports whether a line starts with the words of want.
func containsFields(lines []string, want string) bool {
	for _, l := range lines {
		if strings.HasPrefix(strings.Join(strings.Fields(l), " "), want) {
			return true
		}
	}
	return false
}

func TestRelayStatusLogLine(t *testing.T) {
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("relay status", relayStatusAttrs(sampleStatus)...)
	for _, want := range []string{
		`msg="relay status"`, "members=3", "envelopes=12", "bytes=5242880", "forwarding=2",
		"forwarding_bytes=1536", "deposits=40", "duplicates=4", "refused=5", "hand_overs=26",
		"forwarded=1", "dropped=6", "expired=7",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("log line %q lacks %q", b.String(), want)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 30: "5.0 GiB", 3 << 50: "3072.0 TiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// fakeStatus stands in for a node in the report loop's own test: the
// loop's ten-minute tick cannot be waited for on a real node.
type fakeStatus struct {
	ready chan struct{}
	relay bool
	mu    sync.Mutex
	st    relay.Status
	reads int // calls of RelayStatus
}

func (f *fakeStatus) Ready() <-chan struct{} { return f.ready }
func (f *fakeStatus) RelayStatus() (relay.Status, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.st, f.relay
}

func (f *fakeStatus) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func TestReportRelayStatusTicksAndSignal(t *testing.T) {
	src := &fakeStatus{ready: make(chan struct{}), relay: true, st: sampleStatus}
	var logs, out testkit.Buffer
	sig := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		reportRelayStatus(ctx, src, 20*time.Millisecond, sig, slog.New(slog.NewTextHandler(&logs, nil)), &out)
		close(done)
	}()
	if logs.String() != "" {
		t.Fatalf("logged before ready: %q", logs.String())
	}
	close(src.ready)
	// Ticks that find the same figures log nothing: one line per change.
	testkit.WaitFor(t, 5*time.Second, "three ticks", func() bool { return src.readCount() >= 4 })
	if n := strings.Count(logs.String(), "relay status"); n != 1 {
		t.Fatalf("%d status lines while nothing changed, want 1:\n%s", n, logs.String())
	}
	src.mu.Lock()
	src.st.Members = 99
	src.mu.Unlock()
	testkit.WaitFor(t, 5*time.Second, "a line with the new figure", func() bool { return strings.Contains(logs.String(), "members=99") })
	if n := strings.Count(logs.String(), "relay status"); n != 2 {
		t.Errorf("%d status lines after one change, want 2", n)
	}
	if out.String() != "" {
		t.Fatalf("table printed without a signal: %q", out.String())
	}
	sig <- os.Interrupt
	testkit.WaitFor(t, 5*time.Second, "the table after the signal", func() bool { return containsFields(strings.Split(out.String(), "\n"), "members 99") })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the report loop did not stop with its context")
	}
}

func TestReportRelayStatusWithoutRelayReturns(t *testing.T) {
	src := &fakeStatus{ready: make(chan struct{})}
	close(src.ready)
	var logs bytes.Buffer
	done := make(chan struct{})
	go func() {
		reportRelayStatus(context.Background(), src, time.Millisecond, nil, slog.New(slog.NewTextHandler(&logs, nil)), &logs)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the report loop runs for a node without a relay")
	}
	if logs.Len() != 0 {
		t.Errorf("logged %q for a node without a relay", logs.String())
	}
}

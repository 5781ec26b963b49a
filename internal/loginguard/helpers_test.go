package loginguard

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// t0 is when the tests' clocks start.
var t0 = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

var errWrongPassword = errors.New("invalid user name or password")

// harness is a Guard with a settable clock whose Sleep advances that
// clock instead of waiting, and records each wait.
type harness struct {
	*Guard
	t *testing.T

	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
	logs  bytes.Buffer
}

func newHarness(t *testing.T, opts Options) *harness {
	h := &harness{t: t, now: t0}
	opts.Now = h.Now
	opts.Sleep = h.sleep
	opts.Logger = slog.New(slog.NewTextHandler(lockedWriter{h}, nil))
	h.Guard = New(opts)
	return h
}

func (h *harness) Now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

func (h *harness) sleep(ctx context.Context, d time.Duration) error {
	h.mu.Lock()
	h.waits = append(h.waits, d)
	h.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	h.advance(d)
	return nil
}

// takeWaits returns the waits since the last call.
func (h *harness) takeWaits() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	w := h.waits
	h.waits = nil
	return w
}

// logLines returns the lines logged so far.
func (h *harness) logLines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Split(strings.TrimSpace(h.logs.String()), "\n")
}

type lockedWriter struct{ h *harness }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	return w.h.logs.Write(p)
}

// login tries a password from remote through Login and reports whether
// the check ran, and Login's error.
func (h *harness) login(remote net.Addr, right bool) (checked bool, err error) {
	err = h.Login(context.Background(), remote, func() error {
		checked = true
		if right {
			return nil
		}
		return errWrongPassword
	})
	return checked, err
}

// guess tries a wrong password and fails the test unless it was checked.
func (h *harness) guess(remote net.Addr) {
	h.t.Helper()
	if checked, err := h.login(remote, false); !checked || !errors.Is(err, errWrongPassword) {
		h.t.Fatalf("guess from %s: checked %v, err %v; want a checked wrong password", remote, checked, err)
	}
}

// tcp returns the address of a client at ip.
func tcp(ip string) net.Addr {
	return &net.TCPAddr{IP: net.ParseIP(ip), Port: 50123}
}

func seconds(n ...int) []time.Duration {
	var out []time.Duration
	for _, s := range n {
		out = append(out, time.Duration(s)*time.Second)
	}
	return out
}

package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serve starts a server on a socket in a new directory, with an "echo"
// command (its args["text"], or an error for "fail") and returns the
// directory, standing in for a database directory.
func serve(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl") // short: a socket path is bounded
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s, err := Listen(SocketPath(dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.Handle("echo", func(_ context.Context, args map[string]string, w io.Writer) error {
		if args["text"] == "fail" {
			return errors.New("asked to fail")
		}
		_, err := io.WriteString(w, args["text"])
		return err
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return dir
}

func TestCallAndReplies(t *testing.T) {
	dir := serve(t)
	out, err := Call(dir, Request{Command: "echo", Args: map[string]string{"text": "hello"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out)
	out.Close()
	if string(b) != "hello" {
		t.Errorf("echo answered %q", b)
	}
	if _, err := Call(dir, Request{Command: "echo", Args: map[string]string{"text": "fail"}}); err == nil || !strings.Contains(err.Error(), "asked to fail") {
		t.Errorf("a failing command: %v", err)
	}
	if _, err := Call(dir, Request{Command: "nope"}); err == nil || !strings.Contains(err.Error(), `unknown command "nope"`) {
		t.Errorf("an unknown command: %v", err)
	}
	if st, err := os.Stat(SocketPath(dir)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
}

func TestNoNodeAndStaleSocket(t *testing.T) {
	dir := t.TempDir()
	if _, err := Call(dir, Request{Command: "echo"}); !errors.Is(err, ErrNotRunning) {
		t.Errorf("no socket: %v, want ErrNotRunning", err)
	}
	// A socket file left by a killed node: nobody answers, Listen takes
	// its place.
	short, _ := os.MkdirTemp("", "ctl")
	defer os.RemoveAll(short)
	path := SocketPath(short)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := Call(short, Request{Command: "echo"}); !errors.Is(err, ErrNotRunning) {
		t.Errorf("stale socket: %v, want ErrNotRunning", err)
	}
	s, err := Listen(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	// While it serves, a second Listen is refused.
	if _, err := Listen(path, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "another node") {
		t.Errorf("second Listen: %v", err)
	}
	s.Close()
	if _, err := Listen(filepath.Join(t.TempDir(), strings.Repeat("x", 120), SocketName), slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a socket path longer than the system allows was accepted")
	}
}

// raw sends bytes as a request and returns the reply line.
func raw(t testing.TB, dir string, req []byte) string {
	t.Helper()
	c, err := net.Dial("unix", SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	c.Write(req)
	if uc, ok := c.(*net.UnixConn); ok {
		uc.CloseWrite()
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line
}

// FuzzServe: whatever a client sends, the server answers one JSON line (or
// nothing, for a request it could not read whole) and keeps serving.
func FuzzServe(f *testing.F) {
	for _, seed := range []string{
		`{"command":"echo","args":{"text":"x"}}` + "\n",
		`{"command":"nope"}` + "\n",
		"not json\n",
		`{"command":"echo","args":{"text":1}}` + "\n",
		strings.Repeat("{", 100) + "\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	dir := serve(f)
	f.Fuzz(func(t *testing.T, req []byte) {
		if line := raw(t, dir, req); line != "" {
			var r reply
			if err := json.Unmarshal([]byte(line), &r); err != nil || (!r.OK && r.Error == "") {
				t.Fatalf("request %q answered %q", req, line)
			}
		}
		if got := raw(t, dir, []byte(`{"command":"echo","args":{"text":"still"}}`+"\n")); !strings.Contains(got, `"ok":true`) {
			t.Fatalf("after %q the server answered %q", req, got)
		}
	})
}

// A command that arrives while the node is still starting waits for it.
func TestCommandsWaitForReady(t *testing.T) {
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := Listen(SocketPath(dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	started := false
	s.WaitFor(ready)
	s.Handle("started", func(_ context.Context, _ map[string]string, w io.Writer) error {
		if !started {
			return errors.New("ran before the node was ready")
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx)
	answer := make(chan error, 1)
	go func() {
		out, err := Call(dir, Request{Command: "started"})
		if err == nil {
			out.Close()
		}
		answer <- err
	}()
	select {
	case err := <-answer:
		t.Fatalf("answered before ready: %v", err)
	case <-time.After(100 * time.Millisecond): // no answer while starting
	}
	started = true
	close(ready)
	if err := <-answer; err != nil {
		t.Errorf("after ready: %v", err)
	}
}

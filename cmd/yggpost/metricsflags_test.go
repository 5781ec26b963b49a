package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
)

func TestMetricsAddressMustBeHostPort(t *testing.T) {
	code, _, errs := runCmd(t, "", "-database", t.TempDir()+"/a.db", "-metrics", "9464")
	if code != exitUsage || !strings.Contains(errs, "-metrics") {
		t.Fatalf("-metrics 9464: exit %d, stderr %q; want %d naming -metrics", code, errs, exitUsage)
	}
}

// A -metrics address already taken stops the node at start, saying which.
func TestMetricsBindFailureStopsTheNode(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb strings.Builder
	code := runContext(ctx, []string{"-database", t.TempDir() + "/a.db", "-smtp", "127.0.0.1:0", "-imap", "127.0.0.1:0",
		"-listen", "tcp://127.0.0.1:0", "-metrics", taken.Addr().String()}, strings.NewReader(""), &out, &errb)
	if code != exitRuntime || !strings.Contains(errb.String(), "listen for metrics on "+taken.Addr().String()) {
		t.Fatalf("exit %d, stderr %q; want %d and the metrics address", code, errb.String(), exitRuntime)
	}
	if ctx.Err() != nil {
		t.Fatal("the node ran until the deadline instead of stopping at start")
	}
}

// The node started by the command serves /metrics on the -metrics address.
func TestMetricsServedByTheCommand(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		var out, errb strings.Builder
		done <- runContext(ctx, []string{"-database", t.TempDir() + "/a.db", "-smtp", "127.0.0.1:0", "-imap", "127.0.0.1:0",
			"-listen", "tcp://127.0.0.1:0", "-metrics", addr}, strings.NewReader(""), &out, &errb)
	}()
	var body string
	testkit.Poll(20*time.Second, func() bool { // until the node has started
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body = string(b)
		return err == nil
	})
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("node exit %d, want %d", code, exitOK)
	}
	for _, want := range []string{"yggpost_messages_submitted_total 0", "yggpost_queue_messages 0", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

package main

import (
	"context"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
)

// startRun runs the command with args in the background until the test
// ends, and returns its stdout and stderr.
func startRun(t *testing.T, args ...string) (stdout, stderr *testkit.Buffer) {
	t.Helper()
	stdout, stderr = &testkit.Buffer{}, &testkit.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- runContext(ctx, args, strings.NewReader(""), stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("%v: exit %d after stop; stderr:\n%s", args, code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%v: did not stop within 15 s", args)
		}
	})
	return stdout, stderr
}

var meshListen = regexp.MustCompile(`msg="node running".* listen=\[(tcp://127\.0\.0\.1:\d+)\]`)

// TestInvitedMemberRegistersThroughFlags: an operator creates an invite and
// runs an invite-only relay; a user runs a node with -relays
// <relay>=<token>; the relay's status table then counts one member.
func TestInvitedMemberRegistersThroughFlags(t *testing.T) {
	dir := t.TempDir()
	relayDB, aliceDB := dir+"/relay.db", dir+"/alice.db"
	code, tokens, errs := runCmd(t, "", "-database", relayDB, "-relay-invite", "1")
	if code != exitOK {
		t.Fatalf("-relay-invite: exit %d, %s", code, errs)
	}
	relayAddr := strings.TrimSpace(addressOf(t, relayDB))

	out, logs := startRun(t, "-database", relayDB, "-relay", "-relay-policy", "invite",
		"-listen", "tcp://127.0.0.1:0", "-smtp", "127.0.0.1:0", "-imap", "127.0.0.1:0")
	testkit.WaitFor(t, 10*time.Second, "the relay running", func() bool { return meshListen.MatchString(logs.String()) })
	mesh := meshListen.FindStringSubmatch(logs.String())[1]

	_, aliceLogs := startRun(t, "-database", aliceDB, "-peer", mesh, "-relays", relayAddr+"="+strings.TrimSpace(tokens),
		"-smtp", "127.0.0.1:0", "-imap", "127.0.0.1:0")
	lines := func() []string { return strings.Split(out.String(), "\n") }
	deadline := time.Now().Add(30 * time.Second)
	for !containsFields(lines(), "members 1") {
		if time.Now().After(deadline) {
			t.Fatalf("the relay never counted the member; relay log:\n%s\nmember log:\n%s", logs.String(), aliceLogs.String())
		}
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // let the table for this signal appear
	}
}

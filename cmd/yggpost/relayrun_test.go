package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/relay"
)

func TestRelayInvitePrintsUsableTokens(t *testing.T) {
	db := t.TempDir() + "/relay.db"
	code, out, errs := runCmd(t, "", "-database", db, "-relay-invite", "3")
	if code != exitOK {
		t.Fatalf("-relay-invite exit %d, stderr %q", code, errs)
	}
	tokens := strings.Fields(out)
	if len(tokens) != 3 || strings.Count(out, "\n") != 3 {
		t.Fatalf("printed %q, want 3 tokens one per line", out)
	}
	if !strings.Contains(errs, "-relays ") || !strings.Contains(errs, "@yggmail=<token>") {
		t.Errorf("no hint for members in %q", errs)
	}
	_, again, _ := runCmd(t, "", "-database", db, "-relay-invite", "1")
	for _, tok := range tokens {
		if strings.TrimSpace(again) == tok {
			t.Errorf("token %s printed twice", tok)
		}
	}

	// The tokens are in the store: each admits one new member, once.
	_, key, _ := ed25519.GenerateKey(nil)
	r, err := relay.Open(filepath.Join(db, "relay"), relay.Options{Key: key, Policy: relay.PolicyInvite})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	register := func(token string) error {
		_, member, _ := ed25519.GenerateKey(nil)
		g, err := relay.NewRegistration(member, r.Address(), time.Now(), token)
		if err != nil {
			t.Fatal(err)
		}
		return r.Register(g)
	}
	for _, tok := range append(tokens, strings.TrimSpace(again)) {
		if err := register(tok); err != nil {
			t.Errorf("register with printed token %s: %v", tok, err)
		}
	}
	if err := register(tokens[0]); !errors.Is(err, relay.ErrBadInvite) {
		t.Errorf("second use of a token: %v, want ErrBadInvite", err)
	}
	if err := register(strings.Repeat("0", 32)); !errors.Is(err, relay.ErrBadInvite) {
		t.Errorf("made-up token: %v, want ErrBadInvite", err)
	}
}

// TestRelayRunReportsStatus runs the command as an operator would, with
// -relay on loopback, and checks the status line at start and the table
// on SIGUSR1.
func TestRelayRunReportsStatus(t *testing.T) {
	db := t.TempDir() + "/relay.db"
	var out, errs testkit.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, []string{"-database", db, "-relay", "-relay-policy", "invite",
			"-listen", "tcp://127.0.0.1:0", "-smtp", "127.0.0.1:0", "-imap", "127.0.0.1:0"},
			strings.NewReader(""), &out, &errs)
	}()
	testkit.WaitFor(t, 10*time.Second, "a relay status line in "+errs.String(), func() bool {
		return strings.Contains(errs.String(), `msg="relay status"`)
	})
	line := lineWith(errs.String(), `msg="relay status"`)
	for _, want := range []string{"members=0", "envelopes=0", "bytes=0", "deposits=0", "hand_overs=0"} {
		if !strings.Contains(line, want) {
			t.Errorf("status line %q lacks %q", line, want)
		}
	}
	if !strings.Contains(errs.String(), "policy=invite") {
		t.Errorf("the log does not show the policy: %s", errs.String())
	}
	// Invites, address, fingerprint and password go through the control
	// socket while the relay runs.
	if code, out, msg := runCmd(t, "", "-database", db, "-relay-invite", "2"); code != exitOK || len(strings.Fields(out)) != 2 {
		t.Errorf("-relay-invite on a running relay: exit %d, stdout %q, stderr %q; want 2 tokens", code, out, msg)
	}
	if code, out, msg := runCmd(t, "", "-database", db, "-tls-fingerprint"); code != exitOK || strings.Count(out, ":") != 31 {
		t.Errorf("-tls-fingerprint on a running relay: exit %d, %q, %q", code, out, msg)
	}
	if code, _, msg := runCmd(t, "new-pass\n", "-database", db, "-password"); code != exitOK || !strings.Contains(msg, "running node") {
		t.Errorf("-password on a running relay: exit %d, %q", code, msg)
	}
	// The status loop registered for SIGUSR1 before the node was ready, so
	// the signal reaches it rather than ending the test binary.
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 5*time.Second, "the status table on stdout", func() bool {
		return containsFields(strings.Split(out.String(), "\n"), "members 0")
	})
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after stop, want %d; stderr:\n%s", code, exitOK, errs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the relay did not stop within 15 s")
	}
	if _, err := envelope.ParseAddress(strings.TrimSpace(addressOf(t, db))); err != nil {
		t.Errorf("the relay's database has no address afterwards: %v", err)
	}
}

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func addressOf(t *testing.T, db string) string {
	t.Helper()
	code, out, errs := runCmd(t, "", "-database", db, "-address")
	if code != exitOK {
		t.Fatalf("-address exit %d: %s", code, errs)
	}
	return out
}

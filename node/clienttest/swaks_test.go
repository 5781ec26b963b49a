package clienttest_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/nodetest"
)

// swaks runs swaks against the node's SMTP server with the given
// arguments (the server, port and HELO name are added).
func (tn *testNode) swaks(t *testing.T, args ...string) result {
	t.Helper()
	path := needTool(t, "swaks", "swaks")
	host, port := hostPort(t, tn.SMTPAddr)
	base := []string{"--server", host, "--port", strconv.Itoa(port), "--helo", "swaks.test", "--timeout", "20"}
	return run(t, 60*time.Second, "", path, append(base, args...)...)
}

// randomAddress is the address of a fresh key nobody runs a node for.
func randomAddress(t *testing.T) string {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return hex.EncodeToString(pub) + "@yggmail"
}

// TestSwaks sends through a node with swaks: a message that crosses the
// mesh, and each submission error a client can run into, with its SMTP
// and enhanced status code.
func TestSwaks(t *testing.T) {
	t.Parallel()
	needTool(t, "swaks", "swaks")
	const limit = 8 << 10
	alice := start(t, "alice", nodetest.Options{Listen: true, Limit: limit})
	bob := start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}})
	auth := []string{"--auth", "LOGIN", "--auth-user", alice.addr, "--auth-password", nodetest.Password}
	from := []string{"--from", alice.addr, "--h-From", "<" + alice.addr + ">"}

	ok := alice.swaks(t, append(append(append([]string{}, auth...), from...),
		"--to", bob.addr, "--pipeline", "--header", "Subject: swaks across the mesh", "--body", "hello bob")...)
	if ok.err != nil {
		t.Fatalf("swaks to bob failed: %v\n%s", ok.err, ok.transcript())
	}
	testkit.WaitFor(t, 30*time.Second, "bob's INBOX to hold swaks's message", func() bool { return bob.inboxCount() == 1 })

	many := make([]string, 101)
	for i := range many {
		many[i] = randomAddress(t)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no AUTH", append([]string{"--to", bob.addr}, from...), "530 5.7.0"},
		{"wrong password", append([]string{"--auth", "PLAIN", "--auth-user", alice.addr, "--auth-password", "wrong", "--to", bob.addr}, from...), "535 5.7.8"},
		{"another sender", append(append([]string{}, auth...), "--from", bob.addr, "--to", bob.addr), "550 5.7.1"},
		{"forged From header", append(append([]string{}, auth...), "--from", alice.addr, "--h-From", "<"+bob.addr+">", "--to", bob.addr), "550 5.7.1"},
		{"non-yggmail recipient", append(append([]string{}, auth...), append(from, "--to", "friend@example.org")...), "550 5.1.1"},
		{"short key", append(append([]string{}, auth...), append(from, "--to", "abcd@yggmail")...), "550 5.1.1"},
		{"too large", append(append([]string{}, auth...), append(from, "--to", bob.addr, "--body", strings.Repeat("x", 2*limit))...), "552 5.3.4"},
		{"too many recipients", append(append([]string{}, auth...), append(from, "--to", strings.Join(many, ","), "--quit-after", "RCPT")...), "452 4.5.3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := alice.swaks(t, c.args...)
			if !strings.Contains(r.stdout, "<** "+c.want) && !strings.Contains(r.stdout, "<~* "+c.want) {
				t.Errorf("swaks %s: no %s reply\n%s", c.name, c.want, r.transcript())
			}
		})
	}
	t.Run("line too long", func(t *testing.T) {
		// Through bob, whose size limit is the default: only the line is wrong.
		r := bob.swaks(t, "--auth", "PLAIN", "--auth-user", bob.addr, "--auth-password", nodetest.Password,
			"--from", bob.addr, "--h-From", "<"+bob.addr+">", "--to", alice.addr, "--body", strings.Repeat("x", 20000))
		if !strings.Contains(r.stdout, "\n<** 5") || strings.Contains(r.stdout, "<** 4") {
			t.Errorf("a message with a 20000-octet line was not refused permanently (finding F1):\n%s", r.stdout)
		}
	})
	if n := bob.inboxCount(); n != 1 {
		t.Errorf("bob's INBOX holds %d messages after the refused submissions, want 1", n)
	}
}

package clienttest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/nodetest"
)

// tlsPair starts two nodes that also serve IMAPS and submissions, alice
// listening for peerings and bob peered with her.
func tlsPair(t testing.TB) (alice, bob *testNode) {
	alice = start(t, "alice", nodetest.Options{Listen: true, TLS: true})
	bob = start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}, TLS: true})
	return alice, bob
}

// certFile writes the node's TLS certificate to a file, for a client to
// trust it as its only CA.
func (tn *testNode) certFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "node.pem")
	if err := os.WriteFile(path, tn.Node.Node.TLSCertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDeltaChatOverTLS: Delta Chat's core exchanges encrypted messages
// between two nodes, one account over TLS from the first byte (IMAPS and
// submissions, security "ssl"), the other over STARTTLS on the ordinary
// ports.
func TestDeltaChatOverTLS(t *testing.T) {
	t.Parallel()
	modules := needDeltaChat(t)
	alice, bob := tlsPair(t)
	a, b := account(t, alice), account(t, bob)
	_, a.IMAPPort = hostPort(t, alice.IMAPSAddr)
	_, a.SMTPPort = hostPort(t, alice.SubmissionsAddr)
	a.IMAPSecurity, a.SMTPSecurity = "ssl", "ssl"
	b.IMAPSecurity, b.SMTPSecurity = "starttls", "starttls"
	const rounds = 2
	cfg := dcConfig{Modules: modules, DataDir: t.TempDir(), Rounds: rounds, WaitMs: 60_000, Accounts: []dcAccount{a, b}}
	lines := runDeltaChat(t, cfg, 3*time.Minute)
	checkDeltaChat(t, lines, rounds)
}

// TestMbsyncOverTLS: mbsync checks the node's certificate (given as its
// CertificateFile) and syncs, over IMAPS and over STARTTLS, without the
// warning about a password sent in the clear.
func TestMbsyncOverTLS(t *testing.T) {
	t.Parallel()
	mbsync := needTool(t, "mbsync", "isync")
	n := start(t, "alice", nodetest.Options{TLS: true})
	msg := curlMessage(n.addr, n.addr, "over TLS", "synced by mbsync")
	appendMessage(t, n, "INBOX", msg)
	cert := n.certFile(t)
	for _, c := range []struct {
		name, sslType, addr string
	}{
		{"IMAPS", "IMAPS", n.IMAPSAddr},
		{"STARTTLS", "STARTTLS", n.IMAPAddr},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, port := hostPort(t, c.addr)
			dir := t.TempDir()
			maildir := filepath.Join(dir, "mail")
			if err := os.Mkdir(maildir, 0o700); err != nil {
				t.Fatal(err)
			}
			rc := fmt.Sprintf(`IMAPAccount yggpost
Host localhost
Port %d
User %s
Pass "%s"
SSLType %s
CertificateFile %s
AuthMechs LOGIN

IMAPStore far
Account yggpost

MaildirStore near
Path %s/
Inbox %s/INBOX

Channel yggpost
Far :far:
Near :near:
Patterns INBOX
Create Near
SyncState *
`, port, n.addr, nodetest.Password, c.sslType, cert, maildir, maildir)
			config := filepath.Join(dir, "mbsyncrc")
			if err := os.WriteFile(config, []byte(rc), 0o600); err != nil {
				t.Fatal(err)
			}
			res := run(t, 60*time.Second, "", mbsync, "-c", config, "-a")
			if res.err != nil {
				t.Fatalf("mbsync over %s: %v\n%s", c.name, res.err, res.transcript())
			}
			if out := res.stdout + res.stderr; strings.Contains(strings.ToLower(out), "warning") || strings.Contains(strings.ToLower(out), "error") {
				t.Errorf("mbsync over %s complained:\n%s", c.name, res.transcript())
			}
			files, _ := filepath.Glob(filepath.Join(maildir, "INBOX", "*", "*"))
			if len(files) != 1 {
				t.Fatalf("mbsync over %s synced %d files, want 1", c.name, len(files))
			}
			// mbsync keeps messages with LF line ends and adds X-TUID.
			got, err := os.ReadFile(files[0])
			kept := regexp.MustCompile(`(?m)^X-TUID: .*\n`).ReplaceAllString(string(got), "")
			if want := strings.ReplaceAll(msg, "\r\n", "\n"); err != nil || kept != want {
				t.Errorf("synced message differs (%v):\n%q\nwant\n%q", err, kept, want)
			}
		})
	}
}

// TestCurlOverTLS: curl, trusting only the node's certificate, sends over
// submissions (smtps://) and over STARTTLS (smtp:// --ssl-reqd), and reads
// the mailbox over IMAPS.
func TestCurlOverTLS(t *testing.T) {
	t.Parallel()
	needTool(t, "curl", "curl")
	alice, bob := tlsPair(t)
	ca := []string{"--cacert", alice.certFile(t)}
	one := curlMessage(alice.addr, bob.addr, "over smtps", "first")
	alice.curl(t, one, append(ca, "smtps://localhost:"+port(t, alice.SubmissionsAddr), "--mail-from", alice.addr, "--mail-rcpt", bob.addr)...)
	two := curlMessage(alice.addr, alice.addr, "over starttls", "second")
	alice.curl(t, two, append(ca, "--ssl-reqd", "smtp://localhost:"+port(t, alice.SMTPAddr), "--mail-from", alice.addr, "--mail-rcpt", alice.addr)...)
	testkit.WaitFor(t, 30*time.Second, "bob's INBOX to hold the smtps message", func() bool { return bob.inboxCount() == 1 })
	res := alice.curl(t, "", append(ca, "imaps://localhost:"+port(t, alice.IMAPSAddr)+"/INBOX;UID=1")...)
	if res.stdout != two {
		t.Errorf("imaps fetch of alice's INBOX UID 1:\n%q\nwant\n%q", res.stdout, two)
	}
	if !strings.Contains(res.stderr, "SSL connection using TLS") {
		t.Errorf("curl's transcript shows no TLS session:\n%s", res.stderr)
	}
}

// TestSwaksSTARTTLS: swaks upgrades the submission session with STARTTLS
// and sends across the mesh.
func TestSwaksSTARTTLS(t *testing.T) {
	t.Parallel()
	needTool(t, "swaks", "swaks")
	alice, bob := tlsPair(t)
	res := alice.swaks(t, "--tls", "--auth", "PLAIN", "--auth-user", alice.addr, "--auth-password", nodetest.Password,
		"--from", alice.addr, "--h-From", "<"+alice.addr+">", "--to", bob.addr, "--header", "Subject: swaks over STARTTLS", "--body", "hello")
	if res.err != nil {
		t.Fatalf("swaks --tls: %v\n%s", res.err, res.transcript())
	}
	if !strings.Contains(res.stdout, "STARTTLS") || !strings.Contains(res.stdout, "TLS started") {
		t.Errorf("swaks did not run STARTTLS:\n%s", res.stdout)
	}
	testkit.WaitFor(t, 30*time.Second, "bob's INBOX to hold swaks's message", func() bool { return bob.inboxCount() == 1 })
}

// appendMessage stores msg in the node's mailbox over IMAP.
func appendMessage(t testing.TB, tn *testNode, mailbox, msg string) {
	t.Helper()
	c := tn.IMAP()
	defer c.Close()
	cmd := c.Append(mailbox, int64(len(msg)), nil)
	if _, err := cmd.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append to %s: %v", mailbox, err)
	}
}

func port(t testing.TB, addr string) string {
	t.Helper()
	_, p := hostPort(t, addr)
	return strconv.Itoa(p)
}

package smtpd

import (
	"context"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
)

// swaks runs the swaks SMTP test tool against address and returns its
// transcript and whether it reported success.
func swaks(t *testing.T, address string, args ...string) (string, bool) {
	t.Helper()
	path, err := exec.LookPath("swaks")
	if err != nil {
		// .ci/run installs swaks and sets YGGPOST_REQUIRE_CLIENTS, so
		// that a broken install step cannot pass as a skip.
		if os.Getenv("YGGPOST_REQUIRE_CLIENTS") != "" {
			t.Fatalf("YGGPOST_REQUIRE_CLIENTS is set but swaks is not installed (Debian package swaks)")
		}
		t.Skip("swaks is not installed (apt-get install swaks); skipping the test with a real command-line client")
	}
	host, port, _ := net.SplitHostPort(address)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := []string{"--server", host, "--port", port, "--helo", "swaks.test",
		"--auth-user", local.String(), "--auth-password", testPassword}
	out, err := exec.CommandContext(ctx, path, append(base, args...)...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("swaks timed out: %s", out)
	}
	return string(out), err == nil
}

func TestSwaks(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	for i, mech := range []string{"PLAIN", "LOGIN"} {
		out, ok := swaks(t, address, "--auth", mech, "--from", local.String(),
			"--to", alice.String()+","+bob.String(), "--h-From", "<"+local.String()+">",
			"--header", "Subject: swaks "+mech, "--body", "from swaks")
		if !ok {
			t.Fatalf("swaks AUTH %s failed:\n%s", mech, out)
		}
		s := waitSubmissions(t, sub, i+1)[i]
		body := string(s.body(t))
		if len(s.to) != 2 || !strings.Contains(body, "Subject: swaks "+mech) || !strings.Contains(body, "from swaks") {
			t.Fatalf("swaks message to %v:\n%s", s.to, body)
		}
	}
	out, ok := swaks(t, address, "--auth", "PLAIN", "--from", local.String(),
		"--to", alice.String(), "--h-From", "<"+alice.String()+">")
	if ok || !strings.Contains(out, "550 5.7.1") {
		t.Fatalf("swaks with a forged From: was not refused with 550 5.7.1:\n%s", out)
	}
	out, ok = swaks(t, address, "--auth", "PLAIN", "--from", local.String(), "--to", "friend@example.org")
	if ok || !strings.Contains(out, "550 5.1.1") {
		t.Fatalf("swaks to a non-yggmail address was not refused with 550 5.1.1:\n%s", out)
	}
}

// swaks with STARTTLS (--tls) on Serve's listener and with TLS from the
// first byte (--tls-on-connect) on ServeTLS's, checking the server's
// certificate against the test certificate.
func TestSwaksTLS(t *testing.T) {
	srvTLS, _ := testTLS(t, "127.0.0.1")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvTLS.Certificates[0].Certificate[0]})
	if err := os.WriteFile(ca, certPEM, 0o600); err != nil {
		t.Fatalf("write certificate: %v", err)
	}
	sub := newFileSubmitter(t)
	s := newServer(sub, func(o *Options) { o.TLSConfig = srvTLS })
	modes := []struct{ flag, address string }{
		{"--tls", serveOn(t, s, s.Serve, nil)},
		{"--tls-on-connect", serveOn(t, s, s.ServeTLS, nil)},
	}
	// --tls-verify works: with another certificate as the CA it fails.
	other := filepath.Join(t.TempDir(), "other.pem")
	otherPEM, _ := testkit.SelfSignedCert(t, "127.0.0.1")
	if err := os.WriteFile(other, otherPEM, 0o600); err != nil {
		t.Fatalf("write certificate: %v", err)
	}
	if out, ok := swaks(t, modes[1].address, "--tls-on-connect", "--tls-verify", "--tls-ca-path", other,
		"--auth", "PLAIN", "--from", local.String(), "--to", alice.String()); ok {
		t.Fatalf("swaks verified the server against another certificate:\n%s", out)
	}
	for i, mode := range modes {
		out, ok := swaks(t, mode.address, mode.flag, "--tls-verify", "--tls-ca-path", ca, "--auth", "PLAIN",
			"--from", local.String(), "--to", alice.String(), "--h-From", "<"+local.String()+">",
			"--header", "Subject: swaks "+mode.flag, "--body", "over TLS")
		if !ok {
			t.Fatalf("swaks %s failed:\n%s", mode.flag, out)
		}
		if !strings.Contains(out, "TLS started") {
			t.Fatalf("swaks %s did not report TLS:\n%s", mode.flag, out)
		}
		body := string(waitSubmissions(t, sub, i+1)[i].body(t))
		if !strings.Contains(body, "Subject: swaks "+mode.flag) || !strings.Contains(body, "over TLS") {
			t.Fatalf("swaks %s message:\n%s", mode.flag, body)
		}
	}
}

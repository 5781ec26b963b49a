package tlscert

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestFingerprintForm(t *testing.T) {
	src, _ := mustOpen(t, Options{Settings: newSettings(), Now: newClock().Now})
	if !regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`).MatchString(src.Fingerprint()) {
		t.Errorf("fingerprint %q is not 32 upper-case hex pairs joined by colons", src.Fingerprint())
	}
}

// TestFingerprintMatchesOpenSSL compares Fingerprint with what a user sees
// when checking the certificate by hand.
func TestFingerprintMatchesOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed")
	}
	src, _ := mustOpen(t, Options{Settings: newSettings(), Now: newClock().Now})
	name := filepath.Join(t.TempDir(), "node.pem")
	if err := os.WriteFile(name, src.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, "x509", "-noout", "-fingerprint", "-sha256", "-in", name).Output()
	if err != nil {
		t.Fatalf("openssl: %v", err)
	}
	// "sha256 Fingerprint=AB:…" (OpenSSL 3) or "SHA256 Fingerprint=AB:…".
	_, got, ok := strings.Cut(strings.TrimSpace(string(out)), "=")
	if !ok || got != src.Fingerprint() {
		t.Errorf("openssl prints %q, Fingerprint() = %q", out, src.Fingerprint())
	}
}

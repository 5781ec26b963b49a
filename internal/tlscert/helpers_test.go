package tlscert

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// t0 is the time at which the tests' clocks start.
var t0 = time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)

// memSettings is a Settings in memory that answers a missing key as
// *mailbox.Store does, and can be told to fail.
type memSettings struct {
	mu       sync.Mutex
	values   map[string][]byte
	writes   int
	readErr  error
	writeErr error
}

func newSettings() *memSettings { return &memSettings{values: map[string][]byte{}} }

func (s *memSettings) Setting(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readErr != nil {
		return nil, s.readErr
	}
	v, ok := s.values[key]
	if !ok {
		return nil, fmt.Errorf("read setting %q: %w", key, ErrNoSetting)
	}
	return bytes.Clone(v), nil
}

func (s *memSettings) SetSetting(key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writeErr != nil {
		return s.writeErr
	}
	s.writes++
	s.values[key] = bytes.Clone(value)
	return nil
}

func (s *memSettings) get(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.values[key])
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// mustOpen opens a Source and fails the test on error.
func mustOpen(t *testing.T, opts Options) (*Source, Change) {
	t.Helper()
	src, change, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return src, change
}

// serve accepts TLS connections on a loopback port with cfg and completes
// their handshakes until the test ends; it returns the port's address.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				conn.(*tls.Conn).Handshake() // the client reports failures
				conn.Read(make([]byte, 1))   // until the client closes
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// dial completes a TLS handshake with the server at addr and returns the
// fingerprint of the certificate it presented.
func dial(addr string, cfg *tls.Config) (string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return Fingerprint(conn.ConnectionState().PeerCertificates[0]), nil
}

// trusting returns a client configuration that trusts only roots.
func trusting(serverName string, roots ...*x509.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName}
}

// testCA is a certificate authority that issues the user's certificates in
// the tests.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// issue returns a certificate for "localhost" with key, signed by ca.
func (ca *testCA) issue(t *testing.T, key crypto.Signer) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// userPair is a certificate chain and key as a user keeps them in files.
type userPair struct {
	leaf            *x509.Certificate
	certPEM, keyPEM []byte
}

// newUserPair makes a key and a certificate for it signed by ca, and
// their files' contents: the leaf then the CA in the certificate file, the
// key in PKCS #8.
func (ca *testCA) newUserPair(t *testing.T) userPair {
	t.Helper()
	key := newKey(t)
	leaf := ca.issue(t, key)
	return userPair{leaf: leaf, certPEM: pemCerts(leaf, ca.cert), keyPEM: pemKey(t, key)}
}

func pemCerts(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func pemKey(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// files are the user's certificate and key files in a test directory.
type files struct{ cert, key string }

func newFiles(t *testing.T) files {
	dir := t.TempDir()
	return files{cert: filepath.Join(dir, "fullchain.pem"), key: filepath.Join(dir, "privkey.pem")}
}

// write replaces both files as an ACME client does: write aside, rename.
func (f files) write(t *testing.T, certPEM, keyPEM []byte) {
	t.Helper()
	writeFile(t, f.cert, certPEM)
	writeFile(t, f.key, keyPEM)
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

var errInjected = errors.New("injected failure")

package tlscert

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
)

func TestUserFilesReload(t *testing.T) {
	ca := newCA(t)
	a, b := ca.newUserPair(t), ca.newUserPair(t)
	f := newFiles(t)
	f.write(t, a.certPEM, a.keyPEM)

	src, change := mustOpen(t, Options{CertFile: f.cert, KeyFile: f.key, Settings: newSettings()})
	if src.Fingerprint() != Fingerprint(a.leaf) || change.New != src.Fingerprint() || change.Old != "" || change.Reason != "" {
		t.Fatalf("Open: fingerprint %s, change %+v; want %s", src.Fingerprint(), change, Fingerprint(a.leaf))
	}
	if src.SelfSigned() {
		t.Error("SelfSigned() = true for the user's certificate")
	}
	if !bytes.Equal(src.CertPEM(), pemCerts(a.leaf)) {
		t.Error("CertPEM is not the leaf alone")
	}
	addr := serve(t, src.Config())
	client := trusting("localhost", ca.cert) // verifies the chain: leaf, then the CA
	if got, err := dial(addr, client); err != nil || got != Fingerprint(a.leaf) {
		t.Fatalf("handshake before renewal: %s, %v; want %s", got, err, Fingerprint(a.leaf))
	}

	f.write(t, b.certPEM, b.keyPEM)
	change, err := src.Reload()
	if err != nil {
		t.Fatal(err)
	}
	if change.Old != Fingerprint(a.leaf) || change.New != Fingerprint(b.leaf) || change.Reason != "" {
		t.Errorf("Reload: change %+v, want %s → %s", change, Fingerprint(a.leaf), Fingerprint(b.leaf))
	}
	if got, err := dial(addr, client); err != nil || got != Fingerprint(b.leaf) {
		t.Fatalf("handshake on the same listener after Reload: %s, %v; want %s", got, err, Fingerprint(b.leaf))
	}
	if change, err := src.Reload(); err != nil || change.Changed() {
		t.Errorf("Reload of unchanged files: change %+v, err %v", change, err)
	}
}

func TestUserFilesBadReloadKeepsCertificate(t *testing.T) {
	ca := newCA(t)
	good, other := ca.newUserPair(t), ca.newUserPair(t)
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{1}})
	for _, tc := range []struct {
		name    string
		break_  func(f files)
		culprit func(f files) string // the file the error must name
		want    string
	}{
		{"certificate file missing", func(f files) { os.Remove(f.cert) }, certOf, "no such file"},
		{"key file missing", func(f files) { os.Remove(f.key) }, keyOf, "no such file"},
		{"garbage certificate file", func(f files) { writeFile(t, f.cert, []byte("hello\n")) }, certOf, `no PEM "CERTIFICATE" block`},
		{"garbage key file", func(f files) { writeFile(t, f.key, []byte("\x00\xff")) }, keyOf, `no PEM "PRIVATE KEY" block`},
		{"bad DER", func(f files) {
			writeFile(t, f.cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("nope")}))
		}, certOf, "certificate 1:"},
		{"bad key DER", func(f files) {
			writeFile(t, f.key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("nope")}))
		}, keyOf, "private key:"},
		{"key of another certificate", func(f files) { writeFile(t, f.key, other.keyPEM) }, keyOf, "does not belong to the certificate"},
		{"chain out of order", func(f files) { writeFile(t, f.cert, pemCerts(ca.cert, good.leaf)) }, keyOf, "the server's own certificate must come first"},
		{"encrypted key", func(f files) { writeFile(t, f.key, encrypted) }, keyOf, "encrypted"},
		{"huge file", func(f files) { writeFile(t, f.cert, make([]byte, maxFileSize+1)) }, certOf, "larger than 1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFiles(t)
			f.write(t, good.certPEM, good.keyPEM)
			src, _ := mustOpen(t, Options{CertFile: f.cert, KeyFile: f.key})
			addr := serve(t, src.Config())

			tc.break_(f)
			change, err := src.Reload()
			if err == nil || !strings.Contains(err.Error(), tc.culprit(f)) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Reload = %v; want an error naming %s and saying %q", err, tc.culprit(f), tc.want)
			}
			if change.Changed() || src.Fingerprint() != Fingerprint(good.leaf) {
				t.Errorf("after a failed Reload: change %+v, fingerprint %s; want %s kept", change, src.Fingerprint(), Fingerprint(good.leaf))
			}
			if got, err := dial(addr, trusting("localhost", ca.cert)); err != nil || got != Fingerprint(good.leaf) {
				t.Errorf("handshake after a failed Reload: %s, %v", got, err)
			}
			if _, _, err := Open(Options{CertFile: f.cert, KeyFile: f.key}); err == nil || !strings.Contains(err.Error(), tc.culprit(f)) {
				t.Errorf("Open with the broken files = %v; want an error naming %s", err, tc.culprit(f))
			}
		})
	}
}

func certOf(f files) string { return f.cert }
func keyOf(f files) string  { return f.key }

func TestUserKeyFormats(t *testing.T) {
	ca := newCA(t)
	ecKey := newKey(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		leaf    *x509.Certificate
		keyPEM  []byte
		oneFile bool
	}{
		{"SEC 1 EC key", ca.issue(t, ecKey), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), false},
		{"PKCS #1 RSA key", ca.issue(t, rsaKey), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}), false},
		{"PKCS #8 Ed25519 key", ca.issue(t, edKey), pemKey(t, edKey), false},
		{"key and chain in one file", ca.issue(t, ecKey), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), true},
	} {
		f := newFiles(t)
		certPEM := pemCerts(tc.leaf, ca.cert)
		if tc.oneFile {
			certPEM = append(bytes.Clone(tc.keyPEM), certPEM...)
			f.key = f.cert
		} else {
			writeFile(t, f.key, tc.keyPEM)
		}
		writeFile(t, f.cert, certPEM)
		src, _, err := Open(Options{CertFile: f.cert, KeyFile: f.key})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if src.Fingerprint() != Fingerprint(tc.leaf) {
			t.Errorf("%s: wrong certificate in service", tc.name)
		}
	}
}

func TestReloadDuringHandshakes(t *testing.T) {
	ca := newCA(t)
	a, b := ca.newUserPair(t), ca.newUserPair(t)
	f := newFiles(t)
	f.write(t, a.certPEM, a.keyPEM)
	src, _ := mustOpen(t, Options{CertFile: f.cert, KeyFile: f.key})
	addr := serve(t, src.Config())
	known := map[string]bool{Fingerprint(a.leaf): true, Fingerprint(b.leaf): true}

	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 20 {
			p := []userPair{b, a}[i%2]
			if err := errors.Join(os.WriteFile(f.cert, p.certPEM, 0o600), os.WriteFile(f.key, p.keyPEM, 0o600)); err != nil {
				t.Error(err)
				return
			}
			if _, err := src.Reload(); err != nil {
				t.Errorf("Reload: %v", err)
			}
		}
	})
	wg.Go(func() {
		for range 20 {
			got, err := dial(addr, trusting("localhost", ca.cert))
			if err != nil || !known[got] {
				t.Errorf("handshake during reloads: %s, %v", got, err)
			}
			if !known[src.Fingerprint()] || !known[Fingerprint(src.Leaf())] || len(src.CertPEM()) == 0 {
				t.Error("accessors returned an unknown certificate")
			}
		}
	})
	wg.Wait()
}

package testkit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// SelfSignedCert returns a fresh self-signed TLS server certificate for
// host (a DNS name or an IP address), valid from an hour ago for a day,
// and its ECDSA P-256 key, both PEM-encoded.
func SelfSignedCert(t testing.TB, host string) (certPEM, keyPEM []byte) {
	t.Helper()
	return newCert(t, host, nil, nil)
}

// IssuedCert is SelfSignedCert for a certificate signed by the issuer's
// certificate and key (PEM, as SelfSignedCert returns them) instead of
// its own: one that is not self-signed.
func IssuedCert(t testing.TB, host string, issuerCertPEM, issuerKeyPEM []byte) (certPEM, keyPEM []byte) {
	t.Helper()
	issuer, err := tls.X509KeyPair(issuerCertPEM, issuerKeyPEM)
	if err != nil {
		t.Fatalf("read issuer certificate: %v", err)
	}
	return newCert(t, host, issuer.Leaf, issuer.PrivateKey)
}

// newCert makes a certificate for host signed by issuer and issuerKey,
// or by its own key when issuer is nil.
func newCert(t testing.TB, host string, issuer *x509.Certificate, issuerKey crypto.PrivateKey) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate certificate key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	if issuer == nil {
		issuer, issuerKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, issuerKey)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal certificate key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

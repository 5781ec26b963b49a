package testkit

import (
	"crypto/tls"
	"testing"
	"time"
)

func TestPoll(t *testing.T) {
	n := 0
	if !Poll(time.Second, func() bool { n++; return n == 3 }) {
		t.Fatal("Poll gave up on a condition that became true")
	}
	if Poll(50*time.Millisecond, func() bool { return false }) {
		t.Fatal("Poll reported a condition that never held")
	}
}

func TestReceive(t *testing.T) {
	ch := make(chan int, 3)
	ch <- 1
	ch <- 2
	ch <- 3
	if v := Receive(t, time.Second, "an even value", ch, func(v int) bool { return v%2 == 0 }); v != 2 {
		t.Fatalf("Receive returned %d, want 2", v)
	}
	if v := Receive(t, time.Second, "any value", ch, nil); v != 3 {
		t.Fatalf("Receive returned %d, want 3", v)
	}
}

func TestSelfSignedCertServesTLS(t *testing.T) {
	for _, host := range []string{"node.example", "::1"} {
		certPEM, keyPEM := SelfSignedCert(t, host)
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatalf("%s: certificate and key do not pair: %v", host, err)
		}
		if err := pair.Leaf.VerifyHostname(host); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
}

func TestIssuedCertIsSignedByItsIssuer(t *testing.T) {
	caPEM, caKeyPEM := SelfSignedCert(t, "ca.example")
	certPEM, keyPEM := IssuedCert(t, "node.example", caPEM, caKeyPEM)
	ca, err := tls.X509KeyPair(caPEM, caKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	// CheckSignatureFrom would want the issuer to be a CA, which it is
	// not: check the signature with the issuer's key alone.
	if err := ca.Leaf.CheckSignature(pair.Leaf.SignatureAlgorithm, pair.Leaf.RawTBSCertificate, pair.Leaf.Signature); err != nil {
		t.Errorf("the issued certificate is not signed by the issuer's key: %v", err)
	}
	if err := pair.Leaf.CheckSignature(pair.Leaf.SignatureAlgorithm, pair.Leaf.RawTBSCertificate, pair.Leaf.Signature); err == nil {
		t.Error("the issued certificate is signed by its own key")
	}
}

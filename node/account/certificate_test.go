package account_test

import (
	"bytes"
	"testing"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/account"
)

// issuedCert returns, PEM-encoded, a certificate for node.example signed
// by another certificate's key: one that is not self-signed.
func issuedCert(t *testing.T) []byte {
	t.Helper()
	caPEM, caKeyPEM := testkit.SelfSignedCert(t, "ca.example")
	certPEM, _ := testkit.IssuedCert(t, "node.example", caPEM, caKeyPEM)
	return certPEM
}

func TestParseCertificateForms(t *testing.T) {
	certPEM, keyPEM := testkit.SelfSignedCert(t, "node.example")
	want, err := account.ParseCertificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	for name, input := range map[string][]byte{
		"DER":              want.Raw,
		"key, then cert":   append(append([]byte{}, keyPEM...), certPEM...),
		"text around PEM":  append([]byte("subject=node.example\n"), certPEM...),
		"cert, then chain": append(append([]byte{}, certPEM...), issuedCert(t)...),
	} {
		got, err := account.ParseCertificate(input)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got.Raw, want.Raw) {
			t.Errorf("%s: read another certificate", name)
		}
	}
	for name, input := range map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("certificate"),
		"key alone": keyPEM,
		"cut DER":   want.Raw[:len(want.Raw)/2],
	} {
		if _, err := account.ParseCertificate(input); err == nil {
			t.Errorf("%s: read as a certificate", name)
		}
	}
}

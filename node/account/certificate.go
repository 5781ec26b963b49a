package account

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ParseCertificate reads one X.509 certificate, PEM ("-----BEGIN
// CERTIFICATE-----") or DER. Of a PEM file it takes the first
// CERTIFICATE block, so a file holding the key as well reads the same.
func ParseCertificate(pemOrDER []byte) (*x509.Certificate, error) {
	der := pemOrDER
	if bytes.Contains(pemOrDER, []byte("-----BEGIN")) {
		der = nil
		for rest := pemOrDER; der == nil; {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				return nil, errors.New("parse certificate: no CERTIFICATE block in the PEM text")
			}
			if block.Type == "CERTIFICATE" {
				der = block.Bytes
			}
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// CertificateSHA256 returns the SHA-256 of cert's DER bytes, the
// fingerprint a person compares against what a client shows.
func CertificateSHA256(cert *x509.Certificate) []byte {
	sum := sha256.Sum256(cert.Raw)
	return sum[:]
}

// formatFingerprint writes a SHA-256 fingerprint as upper-case hex pairs
// joined by ":", the way certificate viewers and openssl show it.
func formatFingerprint(sum []byte) (string, error) {
	if len(sum) != sha256.Size {
		return "", fmt.Errorf("account settings: a SHA-256 fingerprint is %d bytes, have %d", sha256.Size, len(sum))
	}
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(pairs, ":"), nil
}

// SelfSigned reports whether cert is signed by its own key: the kind of
// certificate a device trusts only once the user installs it as a root,
// and which a client that cannot pin it must be told to accept.
func SelfSigned(cert *x509.Certificate) bool {
	return bytes.Equal(cert.RawIssuer, cert.RawSubject) &&
		cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil
}

package tlscert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// maxChain bounds the certificates read from one file: a server's own
// certificate and its intermediates are a handful.
const maxChain = 16

// parseChain returns the certificates of the CERTIFICATE blocks in data,
// in order, skipping blocks of other types (a file may hold the key too).
func parseChain(data []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		data = rest
		if block.Type != "CERTIFICATE" {
			continue
		}
		if len(chain) == maxChain {
			return nil, fmt.Errorf("more than %d certificates", maxChain)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(chain)+1, err)
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, errors.New(`no PEM "CERTIFICATE" block`)
	}
	return chain, nil
}

// parseKey returns the first private key in data: PKCS #8 ("PRIVATE KEY"),
// SEC 1 ("EC PRIVATE KEY") or PKCS #1 ("RSA PRIVATE KEY").
func parseKey(data []byte) (crypto.Signer, error) {
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			return nil, errors.New(`no PEM "PRIVATE KEY" block`)
		}
		data = rest
		if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, errors.New("the private key is encrypted; give the node an unencrypted key file readable only by its user")
		}
		var key any
		var err error
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", strings.ToLower(block.Type), err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("a %T cannot sign a TLS handshake", key)
		}
		return signer, nil
	}
}

// errKeyMismatch says a key does not belong to the server's certificate.
var errKeyMismatch = errors.New("the private key does not belong to the certificate")

// pair checks that key belongs to the first certificate of chain and
// returns them as one certificate in service.
func pair(chain []*x509.Certificate, key crypto.Signer) (*served, error) {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
	if !pub.Equal(chain[0].PublicKey) {
		for i, cert := range chain[1:] {
			if pub.Equal(cert.PublicKey) {
				return nil, fmt.Errorf("%w: it belongs to certificate %d, but the server's own certificate must come first", errKeyMismatch, i+2)
			}
		}
		return nil, errKeyMismatch
	}
	if k, ok := key.(*ecdsa.PrivateKey); ok && k.Curve.Params().BitSize < 256 {
		return nil, fmt.Errorf("ECDSA curve %s is too weak for TLS", k.Curve.Params().Name)
	}
	cert := &tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return &served{
		cert:        cert,
		fingerprint: Fingerprint(chain[0]),
		pem:         pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[0].Raw}),
	}, nil
}

// Fingerprint returns the SHA-256 digest of cert's DER encoding in
// upper-case hex pairs separated by colons ("AB:01:…"), the form that
// openssl and most mail clients show.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	hexits := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(hexits); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(hexits[i : i+2])
	}
	return b.String()
}

package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"time"
)

// SettingSelfSigned is the setting that holds the self-signed certificate
// and its key, as the PEM blocks "CERTIFICATE" and "PRIVATE KEY".
const SettingSelfSigned = "tls.self-signed"

const (
	// Validity is how long a self-signed certificate is valid: under the
	// 825 days beyond which Apple's systems refuse a TLS server
	// certificate, with days to spare for how they count.
	Validity = 820 * 24 * time.Hour
	// RenewBefore is how long before its expiry a self-signed certificate
	// is replaced.
	RenewBefore = 30 * 24 * time.Hour
	// backdate starts a certificate's validity before now, for clients
	// whose clock is a little behind the node's.
	backdate = time.Hour
	// maxCommonName is the longest subject common name X.509 allows.
	maxCommonName = 64
)

// ErrNoSetting is what Settings.Setting returns (or wraps) for a key that
// was never set.
var ErrNoSetting = errors.New("no such setting")

// ErrDamaged is matched (errors.Is) by the error for a stored value that
// is not a certificate and its key. The error names the setting.
var ErrDamaged = errors.New("damaged TLS certificate")

// openSelfSigned loads the stored certificate, or makes and stores one.
func (s *Source) openSelfSigned() (Change, error) {
	raw, err := s.opts.Settings.Setting(SettingSelfSigned)
	if errors.Is(err, ErrNoSetting) {
		return s.renew("", "none was stored")
	}
	if err != nil {
		return Change{}, fmt.Errorf("read TLS certificate: %w", err)
	}
	cert, err := parseStored(raw)
	switch {
	case err != nil && s.opts.Renew:
		return s.renew("", "the stored one is damaged and a new one was asked for")
	case err != nil:
		return Change{}, err
	case s.opts.Renew:
		return s.renew(cert.fingerprint, "a new one was asked for")
	}
	s.cur.Store(cert)
	return s.renewIfNeeded(cert)
}

// renewIfNeeded replaces cur if it expires soon or misses a host.
func (s *Source) renewIfNeeded(cur *served) (Change, error) {
	reason := s.renewalReason(cur.cert.Leaf)
	if reason == "" {
		return Change{Old: cur.fingerprint, New: cur.fingerprint}, nil
	}
	return s.renew(cur.fingerprint, reason)
}

// renewalReason says why leaf must be replaced, or returns "". A leaf not
// valid yet is kept: the likely cause is a clock that is behind (a
// Raspberry Pi before NTP answers), and a new certificate would change the
// fingerprint for nothing.
func (s *Source) renewalReason(leaf *x509.Certificate) string {
	now := s.opts.Now()
	switch {
	case now.After(leaf.NotAfter):
		return "the previous one expired on " + leaf.NotAfter.UTC().Format(time.DateOnly)
	case !now.Add(RenewBefore).Before(leaf.NotAfter):
		return "the previous one expires on " + leaf.NotAfter.UTC().Format(time.DateOnly)
	}
	for _, h := range s.hosts {
		if leaf.VerifyHostname(h) != nil {
			return fmt.Sprintf("the previous one does not cover %q", h)
		}
	}
	return ""
}

// renew makes a self-signed certificate, stores it and puts it in
// service. If storing fails, the certificate in service stays.
func (s *Source) renew(old, reason string) (Change, error) {
	blob, err := makeSelfSigned(commonName(s.opts.Name), s.hosts, s.opts.Now())
	if err != nil {
		return Change{Old: old, New: old}, err
	}
	cert, err := parseStored(blob)
	if err != nil {
		return Change{Old: old, New: old}, fmt.Errorf("read back new TLS certificate: %w", err)
	}
	if err := s.opts.Settings.SetSetting(SettingSelfSigned, blob); err != nil {
		return Change{Old: old, New: old}, fmt.Errorf("store new TLS certificate: %w", err)
	}
	s.cur.Store(cert)
	return Change{Old: old, New: cert.fingerprint, Reason: reason}, nil
}

// parseStored reads the value of SettingSelfSigned.
func parseStored(raw []byte) (*served, error) {
	chain, err := parseChain(raw)
	if err != nil {
		return nil, damaged(err)
	}
	key, err := parseKey(raw)
	if err != nil {
		return nil, damaged(err)
	}
	cert, err := pair(chain, key)
	if err != nil {
		return nil, damaged(err)
	}
	return cert, nil
}

func damaged(err error) error {
	return fmt.Errorf("setting %q: %w: %w", SettingSelfSigned, ErrDamaged, err)
}

// makeSelfSigned returns a new certificate for hosts and its key, as the
// value of SettingSelfSigned.
func makeSelfSigned(cn string, hosts []string, now time.Time) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate TLS key: %w", err)
	}
	// Random, positive, and at most 16 bytes (RFC 5280 allows 20).
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	serial.Add(serial, big.NewInt(1))
	notBefore := now.Add(-backdate).UTC()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Yggpost"}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip, err := netip.ParseAddr(h); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip.AsSlice())
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("make TLS certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode TLS key: %w", err)
	}
	blob := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return append(blob, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...), nil
}

// commonName is the subject of a self-signed certificate for the node
// named name, cut to what X.509 allows.
func commonName(name string) string {
	cn := strings.TrimSpace("Yggpost node " + name)
	if len(cn) > maxCommonName {
		cn = strings.ToValidUTF8(cn[:maxCommonName], "")
	}
	return cn
}

package tlscert

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Settings is where the self-signed certificate is kept: the node's
// database. Setting must return an error matching ErrNoSetting
// (errors.Is) for a key that was never set.
type Settings interface {
	Setting(key string) ([]byte, error)
	SetSetting(key string, value []byte) error
}

// Options say where the certificate comes from.
type Options struct {
	// CertFile and KeyFile name the user's certificate and private key, in
	// PEM. CertFile holds the server's own certificate first, then any
	// intermediate certificates. Give both or neither; with neither, the
	// node uses its self-signed certificate.
	CertFile, KeyFile string

	// Settings keeps the self-signed certificate. It is needed only
	// without CertFile.
	Settings Settings
	// Hosts are the host names and IP addresses by which mail clients
	// reach the node (the user's -tls-host values). The self-signed
	// certificate covers them besides "localhost", 127.0.0.1 and ::1.
	// They do not apply to the user's own certificate.
	Hosts []string
	// Name is a short form of the node's address, such as its first hex
	// digits, shown in the self-signed certificate's subject.
	Name string
	// Renew asks Open for a new self-signed certificate even if the stored
	// one is good, or damaged (see ErrDamaged).
	Renew bool

	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Change says what Open or Reload did to the certificate in service.
type Change struct {
	// Old is the fingerprint of the certificate that was in service, or
	// stored from the node's previous run; empty if there was none. Open
	// with the user's files leaves it empty: what the previous run served
	// is not known.
	Old string
	// New is the fingerprint of the certificate in service now.
	New string
	// Reason says why a new self-signed certificate was made, as a phrase
	// such as "the previous one expires on 2027-03-01"; empty if none was.
	Reason string
}

// Changed reports whether the certificate that clients see has changed.
func (c Change) Changed() bool { return c.Old != c.New }

// Source holds the node's TLS certificate. Its methods are safe for
// concurrent use.
type Source struct {
	opts  Options
	hosts []string // normalised: the defaults, then Options.Hosts

	mu  sync.Mutex // serialises Reload, which may write a setting
	cur atomic.Pointer[served]
}

// served is one certificate in service, with what is derived from it.
type served struct {
	cert        *tls.Certificate // Leaf set
	fingerprint string
	pem         []byte // the leaf alone
}

// Open loads the certificate: the user's files when Options.CertFile is
// set, else the stored self-signed certificate, made and stored first if
// needed (see the package comment for when).
func Open(opts Options) (*Source, Change, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Source{opts: opts}
	switch {
	case opts.CertFile != "" && opts.KeyFile != "":
		cert, err := loadFiles(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, Change{}, err
		}
		s.cur.Store(cert)
		return s, Change{New: cert.fingerprint}, nil
	case opts.CertFile != "" || opts.KeyFile != "":
		return nil, Change{}, fmt.Errorf("a TLS certificate file needs its key file and the other way round (certificate %q, key %q)", opts.CertFile, opts.KeyFile)
	case opts.Settings == nil:
		return nil, Change{}, errors.New("no TLS certificate files and no settings to keep a self-signed certificate in")
	}
	hosts, err := normaliseHosts(opts.Hosts)
	if err != nil {
		return nil, Change{}, err
	}
	s.hosts = hosts
	change, err := s.openSelfSigned()
	if err != nil {
		return nil, Change{}, err
	}
	return s, change, nil
}

// Reload reads the user's files again, or renews the self-signed
// certificate if it expires within RenewBefore. On error the certificate
// in service stays. The node calls it on SIGHUP, and about once a day so
// that a node that runs for years renews its self-signed certificate.
func (s *Source) Reload() (Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur.Load()
	if s.opts.CertFile == "" {
		return s.renewIfNeeded(old)
	}
	cert, err := loadFiles(s.opts.CertFile, s.opts.KeyFile)
	if err != nil {
		return Change{Old: old.fingerprint, New: old.fingerprint}, err
	}
	s.cur.Store(cert)
	return Change{Old: old.fingerprint, New: cert.fingerprint}, nil
}

// Config returns a server configuration that presents the certificate in
// service at each handshake, so a Reload applies to new connections
// without restarting the listeners. It accepts TLS 1.2 and later.
func (s *Source) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.cur.Load().cert, nil
		},
	}
}

// Fingerprint returns the SHA-256 digest of the certificate in service,
// in upper-case hex pairs separated by colons, as
// `openssl x509 -noout -fingerprint -sha256` prints it.
func (s *Source) Fingerprint() string { return s.cur.Load().fingerprint }

// Leaf returns the certificate in service (the server's own, without
// intermediates). The caller must not modify it.
func (s *Source) Leaf() *x509.Certificate { return s.cur.Load().cert.Leaf }

// CertPEM returns the certificate in service (the server's own, without
// intermediates) as one PEM block, for a mail client to pin or for a
// configuration profile.
func (s *Source) CertPEM() []byte { return append([]byte(nil), s.cur.Load().pem...) }

// SelfSigned reports whether the certificate in service is the node's own
// self-signed one rather than the user's.
func (s *Source) SelfSigned() bool { return s.opts.CertFile == "" }

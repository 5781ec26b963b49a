package node

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/tlscert"
	"github.com/yggpost/yggpost/mailbox"
)

// tlsRenewal is how often a running node reloads its certificate: the
// user's files may have been renewed without a SIGHUP, and the self-signed
// certificate is renewed a month before it expires.
const tlsRenewal = 24 * time.Hour

// openCertificate loads the certificate the IMAP and SMTP listeners
// present: the user's files, or the self-signed one kept in store (made on
// first start). A new self-signed certificate is logged here; Run logs the
// one in service with its fingerprint, which users pin in their clients.
func openCertificate(cfg Config, store *mailbox.Store, addr envelope.Address) (*tlscert.Source, error) {
	src, change, err := tlscert.Open(tlscert.Options{
		CertFile: cfg.TLSCertFile,
		KeyFile:  cfg.TLSKeyFile,
		Settings: certSettings{store},
		Hosts:    cfg.TLSHosts,
		Name:     addr.Hex()[:16],
	})
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	if change.Reason != "" {
		logCertificate(cfg.Logger, src, change)
	}
	return src, nil
}

// logCertificate says which certificate is in service, and why it changed
// if it did: clients that pinned the old one will ask their users again.
func logCertificate(log *slog.Logger, src *tlscert.Source, change tlscert.Change) {
	args := []any{"sha256", src.Fingerprint(), "self_signed", src.SelfSigned(), "expires", src.Leaf().NotAfter.Format(time.DateOnly)}
	switch {
	case change.Reason != "" && change.Old == "":
		log.Info("new self-signed TLS certificate", append(args, "reason", change.Reason)...)
	case change.Reason != "":
		log.Warn("new TLS certificate: clients that pinned the old one will ask to trust this one", append(args, "reason", change.Reason, "old_sha256", change.Old)...)
	case change.Changed() && change.Old != "":
		log.Info("TLS certificate replaced", append(args, "old_sha256", change.Old)...)
	default:
		log.Info("TLS certificate", args...)
	}
}

// TLSFingerprint is the SHA-256 fingerprint of the certificate the node's
// IMAP and SMTP listeners present ("AB:CD:…"), for pinning in clients.
func (n *Node) TLSFingerprint() string { return n.tls.Fingerprint() }

// TLSCertificatePEM is that certificate in PEM, for a client or a
// configuration profile to trust.
func (n *Node) TLSCertificatePEM() []byte { return n.tls.CertPEM() }

// TLSSelfSigned reports whether the certificate is the node's own
// self-signed one (rather than the user's -tls-cert).
func (n *Node) TLSSelfSigned() bool { return n.tls.SelfSigned() }

// ReloadTLS reads the user's certificate files again (after a renewal; the
// command calls it on SIGHUP), or renews the self-signed certificate if it
// expires within a month. New connections get the new certificate; open
// ones keep theirs. On error the certificate in service stays.
func (n *Node) ReloadTLS() error {
	change, err := n.tls.Reload()
	if err != nil {
		n.log.Warn("reload TLS certificate; the previous one stays in service", "err", err)
		return err
	}
	if change.Changed() {
		logCertificate(n.log, n.tls, change)
	}
	return nil
}

// certSettings is the store as tlscert keeps its certificate there: a
// setting never written is tlscert.ErrNoSetting.
type certSettings struct{ *mailbox.Store }

func (s certSettings) Setting(key string) ([]byte, error) {
	v, err := s.Store.Setting(key)
	if errors.Is(err, mailbox.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", tlscert.ErrNoSetting, err)
	}
	return v, err
}

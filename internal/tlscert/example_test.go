package tlscert_test

import (
	"log/slog"

	"github.com/yggpost/yggpost/internal/tlscert"
)

// How a node opens its certificate, logs what changed, and hands the
// configuration to its listeners (imapserver.Options.TLSConfig,
// smtp.Server.TLSConfig, or tls.NewListener for implicit TLS).
func ExampleOpen() {
	var store tlscert.Settings // the node's database
	log := slog.Default()

	src, change, err := tlscert.Open(tlscert.Options{
		Settings: store,
		Name:     "0123abcd",
		Hosts:    []string{"mail.example.org", "192.0.2.7"}, // -tls-host
	})
	if err != nil {
		log.Error("TLS certificate", "err", err)
		return
	}
	if change.Reason != "" && change.Old != "" {
		log.Warn("made a new self-signed TLS certificate; mail clients will ask to accept it",
			"reason", change.Reason, "old", change.Old, "fingerprint", change.New)
	}
	log.Info("TLS certificate", "self_signed", src.SelfSigned(), "fingerprint", src.Fingerprint(),
		"expires", src.Leaf().NotAfter)
	_ = src.Config()

	// On SIGHUP, and about once a day:
	if change, err := src.Reload(); err != nil {
		log.Error("reload TLS certificate; the previous one stays in service", "err", err)
	} else if change.Changed() {
		log.Warn("TLS certificate replaced", "reason", change.Reason, "old", change.Old, "fingerprint", change.New)
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/yggpost/yggpost/internal/loglevel"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/relay"
)

// reloader reads the node's configuration again and applies it to the
// running node, on SIGHUP and on the control socket's "reload" (yggpost
// reload): peers, relays and log levels from the configuration file, and
// the TLS certificate. IMAP and SMTP sessions and streams stay up.
type reloader struct {
	mu     sync.Mutex
	n      *node.Node // set once the node is open
	levels *loglevel.Levels
	log    *slog.Logger
	// reread reads the configuration again; nil when the node runs from
	// flags only, when only the certificate is read again.
	reread func() (reloadable, error)
}

// reloadable is what a reload changes.
type reloadable struct {
	Peers  []string
	Relays []node.RelayRef
	Level  slog.Level            // the default log level
	Levels map[string]slog.Level // per component
	Relay  *relay.Options        // the relay role's limits; nil on a node without it
}

// reload applies the configuration. A configuration that cannot be read
// changes nothing; otherwise each part is applied, and what failed is
// reported.
func (r *reloader) reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		return errors.New("the node is not open yet")
	}
	var errs []error
	if r.reread != nil {
		c, err := r.reread()
		if err != nil {
			return fmt.Errorf("read the configuration again: %w", err)
		}
		errs = append(errs, r.n.SetPeers(c.Peers), r.n.SetRelays(c.Relays))
		if c.Relay != nil {
			errs = append(errs, r.n.SetRelayLimits(*c.Relay))
		}
		r.levels.Set(c.Level, c.Levels)
		r.log.Info("log levels", "levels", r.levels.String())
	}
	if err := r.n.ReloadTLS(); err != nil {
		errs = append(errs, err)
	} else {
		r.log.Info("TLS certificate reloaded", "sha256", r.n.TLSFingerprint())
	}
	return errors.Join(errs...)
}

// onHangup reloads on each SIGHUP until ctx ends.
func (r *reloader) onHangup(ctx context.Context) {
	sig, stop := hangupSignal()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			if err := r.reload(); err != nil {
				r.log.Warn("reload", "err", err)
			}
		}
	}
}

package node

import (
	"context"
	"errors"
	"io"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/clientsec"
	"github.com/yggpost/yggpost/node/metrics"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/node/smtpd"
	"github.com/yggpost/yggpost/relay"
)

// Metrics (Config.Metrics, node/metrics). The node counts at the seams
// its parts already have — the outcome of each sent message (sentMarks),
// the outbox's failed attempts, the SMTP Submitter, the client servers'
// listeners and password check, the peer server's relay service — and the
// scrape reads the rest from Status and RelayStatus. The node counts
// whether or not Config.Metrics serves the figures: Status reports the
// client sessions from them.

// newMetrics returns the node's metrics.
func (n *Node) newMetrics() *metrics.Metrics {
	return metrics.New(metrics.Sources{Node: n.metricsSnapshot, Relay: n.RelayStatus})
}

// metricsSnapshot is what a scrape reads of a running node.
func (n *Node) metricsSnapshot() (metrics.Snapshot, bool) {
	st, err := n.Status()
	if err != nil {
		return metrics.Snapshot{}, false
	}
	s := metrics.Snapshot{Queued: st.Queued, InCustody: st.InCustody, OldestQueued: st.OldestQueued, RelaysOpen: st.RelaysOpen}
	for _, p := range st.Peers {
		if p.Up {
			s.PeersUp++
		}
	}
	return s, true
}

// buildMetrics binds the metrics listener, if the node serves one.
func (n *Node) buildMetrics() error {
	if n.cfg.Metrics == "" {
		return nil
	}
	srv, err := metrics.Listen(n.cfg.Metrics, n.metrics.Handler(), n.log.With("component", "metrics"))
	if err != nil {
		return err
	}
	n.metricsSrv = srv
	if clientsec.Loopback(srv.Addr()) {
		n.log.Info("serving metrics", "url", "http://"+srv.Addr().String()+"/metrics")
	} else {
		n.log.Warn("serving metrics beyond loopback, without authentication: anyone who reaches it sees the node's activity", "url", "http://"+srv.Addr().String()+"/metrics")
	}
	return nil
}

// MetricsAddr is the bound address of the metrics listener once Ready is
// closed, "" without one: see SMTPAddr.
func (n *Node) MetricsAddr() string {
	if !n.running() || n.metricsSrv == nil {
		return ""
	}
	return n.metricsSrv.Addr().String()
}

// submissions is the SMTP server's Submitter: the submitter, counting
// the messages it accepts.
func (n *Node) submissions() smtpd.Submitter {
	return smtpd.SubmitterFunc(func(ctx context.Context, from envelope.Address, to []envelope.Address, msg io.Reader) error {
		err := n.submit.Submit(ctx, from, to, msg)
		if err == nil {
			n.metrics.Submitted()
		}
		return err
	})
}

// relayService is the relay role as the peer server uses it, counting
// refused deposits by reason.
func (n *Node) relayService() peer.RelayService {
	return countedRelay{RelayService: n.role, metrics: n.metrics}
}

// countedRelay counts the refusals of the relay service it wraps.
type countedRelay struct {
	peer.RelayService
	metrics *metrics.Metrics
}

func (r countedRelay) Admit(from, rcpt envelope.Address) error {
	err := r.RelayService.Admit(from, rcpt)
	r.refused(err)
	return err
}

func (r countedRelay) Deposit(ctx context.Context, from, rcpt envelope.Address, size int64, body io.Reader) ([]byte, error) {
	receipt, err := r.RelayService.Deposit(ctx, from, rcpt, size, body)
	r.refused(err)
	return receipt, err
}

// refusalReasons names the relay role's refusals by the enhanced status
// code the depositor is told (relayrole's relayRefusal and Admit).
var refusalReasons = map[string]string{
	"5.1.1": metrics.RefusedNotMember,
	"4.2.2": metrics.RefusedQuota,
	"4.3.1": metrics.RefusedForwardQuota,
	"5.3.4": metrics.RefusedTooLarge,
	"4.7.1": metrics.RefusedRateLimited,
	"4.3.2": metrics.RefusedBusy,
	"5.6.0": metrics.RefusedMalformed,
	"4.3.0": metrics.RefusedStoreError,
}

// refused counts err if it is a refusal; a stream that broke off is not
// one.
func (r countedRelay) refused(err error) {
	if err == nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, relay.ErrClosed) {
		return
	}
	reason := metrics.RefusedOther
	if pe, ok := errors.AsType[*peer.Error](err); ok && refusalReasons[pe.Enhanced] != "" {
		reason = refusalReasons[pe.Enhanced]
	}
	r.metrics.RelayRefused(reason)
}

package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Via is how a message left the node: straight to the recipient's node,
// or into a relay's custody.
type Via string

// The values of the via label.
const (
	ViaDirect Via = "direct"
	ViaRelay  Via = "relay"
)

// Protocol is a mail client protocol, the protocol label.
type Protocol string

// The values of the protocol label. IMAPS counts as IMAP and submissions
// as SMTP.
const (
	IMAP Protocol = "imap"
	SMTP Protocol = "smtp"
)

// Reasons a relay refuses a deposit, the reason label, as the depositor is
// told them (docs/protocol.md).
const (
	RefusedNotMember    = "not_member"    // the recipient is not a member (and no forwarding for the sender)
	RefusedQuota        = "quota"         // the member's byte or envelope quota is full
	RefusedForwardQuota = "forward_quota" // the relay holds all it may for forwarding
	RefusedTooLarge     = "too_large"     // the envelope is larger than the relay takes
	RefusedRateLimited  = "rate_limited"  // the depositor sends faster than allowed
	RefusedBusy         = "busy"          // too many deposits in progress
	RefusedMalformed    = "malformed"     // the envelope could not be read
	RefusedStoreError   = "store_error"   // the relay store failed
	RefusedOther        = "other"
)

var (
	vias      = []Via{ViaDirect, ViaRelay}
	protocols = []Protocol{IMAP, SMTP}
	reasons   = []string{RefusedNotMember, RefusedQuota, RefusedForwardQuota, RefusedTooLarge,
		RefusedRateLimited, RefusedBusy, RefusedMalformed, RefusedStoreError, RefusedOther}
)

// latencyBuckets span a delivery on a warm path (tens of milliseconds) to
// the five days after which a message bounces, in seconds.
var latencyBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 5 * 24 * 3600}

// Metrics is the registry of one node. Create it with New; its methods
// are safe for concurrent use, and do nothing on a nil *Metrics.
type Metrics struct {
	reg          *prometheus.Registry
	submitted    prometheus.Counter
	delivered    *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	confirmed    prometheus.Counter
	deferred     prometheus.Counter
	bounced      prometheus.Counter
	sessions     *prometheus.GaugeVec
	authFailures *prometheus.CounterVec
	refusals     *prometheus.CounterVec
}

// New returns a registry with the node's metrics, the figures src gives at
// scrape time, and the Go runtime and process collectors.
func New(src Sources) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		submitted: prometheus.NewCounter(prometheus.CounterOpts{Name: "yggpost_messages_submitted_total",
			Help: "Messages the user's mail clients submitted over SMTP and the node accepted."}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yggpost_messages_delivered_total",
			Help: "Messages, one per recipient, that left the outbox: via=direct the recipient's node stored them, via=relay a relay took custody."}, []string{"via"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "yggpost_delivery_latency_seconds",
			Help: "Time from submission to delivery (via=direct) or to a relay's custody (via=relay), per recipient.", Buckets: latencyBuckets}, []string{"via"}),
		confirmed: prometheus.NewCounter(prometheus.CounterOpts{Name: "yggpost_messages_confirmed_total",
			Help: "Messages held by a relay whose recipient sent its delivery receipt."}),
		deferred: prometheus.NewCounter(prometheus.CounterOpts{Name: "yggpost_messages_deferred_total",
			Help: "Delivery attempts that failed and will be retried."}),
		bounced: prometheus.NewCounter(prometheus.CounterOpts{Name: "yggpost_messages_bounced_total",
			Help: "Messages, one per recipient, given up on; the sender got a delivery report."}),
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "yggpost_client_sessions",
			Help: "Mail client connections open now, by protocol."}, []string{"protocol"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yggpost_auth_failures_total",
			Help: "Logins from mail clients whose user name or password was wrong, by protocol."}, []string{"protocol"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yggpost_relay_refusals_total",
			Help: "Deposits the relay refused, by reason."}, []string{"reason"}),
	}
	m.initLabels()
	m.reg.MustRegister(m.submitted, m.delivered, m.latency, m.confirmed, m.deferred, m.bounced,
		m.sessions, m.authFailures, m.refusals, newSnapshotCollector(src),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// initLabels creates every labelled series at 0.
func (m *Metrics) initLabels() {
	for _, v := range vias {
		m.delivered.WithLabelValues(string(v))
		m.latency.WithLabelValues(string(v))
	}
	for _, p := range protocols {
		m.sessions.WithLabelValues(string(p))
		m.authFailures.WithLabelValues(string(p))
	}
	for _, r := range reasons {
		m.refusals.WithLabelValues(r)
	}
}

// Gatherer is the registry, for a program that serves it alongside its
// own metrics.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// Handler serves the registry in the Prometheus exposition formats. A
// source that fails leaves its metrics out of that scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Submitted counts one message accepted from a mail client.
func (m *Metrics) Submitted() {
	if m != nil {
		m.submitted.Inc()
	}
}

// Delivered counts one recipient's copy that left the outbox by via, and
// observes its time since queued.
func (m *Metrics) Delivered(via Via, queued time.Time) {
	if m == nil {
		return
	}
	m.delivered.WithLabelValues(string(via)).Inc()
	m.latency.WithLabelValues(string(via)).Observe(max(time.Since(queued).Seconds(), 0))
}

// Confirmed counts a delivery receipt for a message a relay held.
func (m *Metrics) Confirmed() {
	if m != nil {
		m.confirmed.Inc()
	}
}

// Deferred counts a delivery attempt that failed and will be retried.
func (m *Metrics) Deferred() {
	if m != nil {
		m.deferred.Inc()
	}
}

// Bounced counts one recipient's copy given up on.
func (m *Metrics) Bounced() {
	if m != nil {
		m.bounced.Inc()
	}
}

// RelayRefused counts a deposit the relay refused for reason, one of the
// Refused constants.
func (m *Metrics) RelayRefused(reason string) {
	if m != nil {
		m.refusals.WithLabelValues(reason).Inc()
	}
}

// CountAuthFailures returns check, which verifies a user name and
// password of protocol p, counting each error it returns as a failed
// login. A login the login guard refuses without checking is not counted.
func (m *Metrics) CountAuthFailures(p Protocol, check func(username, password string) error) func(username, password string) error {
	if m == nil {
		return check
	}
	failures := m.authFailures.WithLabelValues(string(p))
	return func(username, password string) error {
		err := check(username, password)
		if err != nil {
			failures.Inc()
		}
		return err
	}
}

package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yggpost/yggpost/relay"
)

// Snapshot is the state of a running node that a scrape reads.
type Snapshot struct {
	Queued       int       // outbox rows: messages waiting, one per recipient
	InCustody    int       // of those, held by a relay until the recipient's receipt
	OldestQueued time.Time // submission time of the oldest row; zero when none
	PeersUp      int       // peering links up
	RelaysOpen   int       // sessions open with the user's relays
}

// Sources are read at each scrape. A nil function, or one that reports
// false, leaves its metrics out of that scrape: the node is not running,
// or runs no relay.
type Sources struct {
	Node  func() (Snapshot, bool)
	Relay func() (relay.Status, bool)
}

// snapshotCollector turns Sources into metrics when scraped.
type snapshotCollector struct {
	src Sources
}

func newSnapshotCollector(src Sources) snapshotCollector { return snapshotCollector{src: src} }

func desc(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }

var (
	queueDesc     = desc("yggpost_queue_messages", "Messages in the outbox, one per recipient, including those a relay holds.")
	custodyDesc   = desc("yggpost_queue_in_custody_messages", "Messages in the outbox that a relay holds until the recipient's delivery receipt.")
	oldestDesc    = desc("yggpost_queue_oldest_age_seconds", "Age of the oldest message in the outbox; 0 when it is empty.")
	peersDesc     = desc("yggpost_peers_up", "Yggdrasil peering links up.")
	relaysDesc    = desc("yggpost_relay_sessions_open", "Sessions open with the user's relays.")
	nodeDescs     = []*prometheus.Desc{queueDesc, custodyDesc, oldestDesc, peersDesc, relaysDesc}
	membersDesc   = desc("yggpost_relay_members", "Members registered at this relay.")
	envelopesDesc = desc("yggpost_relay_envelopes", "Envelopes this relay holds, for members and for forwarding.")
	bytesDesc     = desc("yggpost_relay_bytes", "Bytes of the envelopes this relay holds.")
	fwdDesc       = desc("yggpost_relay_forwarding_envelopes", "Of the envelopes held, those for non-members, to be passed on.")
	fwdBytesDesc  = desc("yggpost_relay_forwarding_bytes", "Bytes of the envelopes held for forwarding.")
	depositsDesc  = desc("yggpost_relay_deposits_total", "Envelopes this relay took into custody since it started.")
	dupsDesc      = desc("yggpost_relay_duplicate_deposits_total", "Deposits of an envelope the relay already held.")
	handOverDesc  = desc("yggpost_relay_handovers_total", "Envelopes handed over to, and acknowledged by, their member.")
	forwardedDesc = desc("yggpost_relay_forwarded_total", "Envelopes held for forwarding that were acknowledged as handed on.")
	droppedDesc   = desc("yggpost_relay_dropped_total", "Envelopes dropped by their member (collected from another relay).")
	expiredDesc   = desc("yggpost_relay_expired_total", "Envelopes deleted when their retention ended.")
	relayDescs    = []*prometheus.Desc{membersDesc, envelopesDesc, bytesDesc, fwdDesc, fwdBytesDesc,
		depositsDesc, dupsDesc, handOverDesc, forwardedDesc, droppedDesc, expiredDesc}
)

// Describe sends every metric the collector may emit.
func (c snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range append(nodeDescs, relayDescs...) {
		ch <- d
	}
}

// Collect reads the sources once each and emits their figures.
func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Node != nil {
		if s, ok := c.src.Node(); ok {
			collectNode(ch, s)
		}
	}
	if c.src.Relay != nil {
		if s, ok := c.src.Relay(); ok {
			collectRelay(ch, s)
		}
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
}

func collectNode(ch chan<- prometheus.Metric, s Snapshot) {
	age := 0.0
	if !s.OldestQueued.IsZero() {
		age = max(time.Since(s.OldestQueued).Seconds(), 0)
	}
	gauge(ch, queueDesc, float64(s.Queued))
	gauge(ch, custodyDesc, float64(s.InCustody))
	gauge(ch, oldestDesc, age)
	gauge(ch, peersDesc, float64(s.PeersUp))
	gauge(ch, relaysDesc, float64(s.RelaysOpen))
}

// collectRelay emits relay.Status; its counters count since the relay
// store was opened, when the node started.
func collectRelay(ch chan<- prometheus.Metric, s relay.Status) {
	gauge(ch, membersDesc, float64(s.Members))
	gauge(ch, envelopesDesc, float64(s.Envelopes))
	gauge(ch, bytesDesc, float64(s.Bytes))
	gauge(ch, fwdDesc, float64(s.Forwarding))
	gauge(ch, fwdBytesDesc, float64(s.ForwardingBytes))
	counter(ch, depositsDesc, s.Deposits)
	counter(ch, dupsDesc, s.Duplicates)
	counter(ch, handOverDesc, s.HandOvers)
	counter(ch, forwardedDesc, s.Forwarded)
	counter(ch, droppedDesc, s.Dropped)
	counter(ch, expiredDesc, s.Expired)
}

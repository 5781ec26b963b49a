package node_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
)

// withMetrics serves the node's metrics on a free loopback port.
func withMetrics(o nodetest.Options) nodetest.Options {
	o.Tweak = func(c *node.Config) { c.Metrics = "127.0.0.1:0" }
	return o
}

// metric scrapes tn's /metrics over HTTP and returns the value of one
// series (a histogram's sample count), named with its labels as
// name, value pairs; a series that is absent fails the test.
func metric(t *testing.T, tn *nodetest.Node, name string, labels ...string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + tn.Node.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", tn.Name, err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse the scrape of %s: %v", tn.Name, err)
	}
	for _, m := range families[name].GetMetric() {
		if hasLabels(m, labels) {
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	t.Fatalf("%s serves no %s%v", tn.Name, name, labels)
	return 0
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
		}
		if !found {
			return false
		}
	}
	return true
}

// expectMetrics checks series of tn: name, then label pairs, then the
// wanted value.
func expectMetrics(t *testing.T, tn *nodetest.Node, want map[string]float64) {
	t.Helper()
	for series, v := range want {
		name, labels := parseSeries(series)
		if got := metric(t, tn, name, labels...); got != v {
			t.Errorf("%s: %s = %v, want %v", tn.Name, series, got, v)
		}
	}
}

// parseSeries splits `name{a="b"}` into the name and its label pair.
func parseSeries(s string) (string, []string) {
	name, rest, ok := strings.Cut(s, "{")
	if !ok {
		return s, nil
	}
	k, v, _ := strings.Cut(strings.TrimSuffix(rest, "}"), "=")
	return name, []string{k, strings.Trim(v, `"`)}
}

// TestMetricsCountMailAndLogins: Alice sends Bob three messages over the
// mesh; her counters move by exactly three and her queue empties. A wrong
// password at Bob's IMAP and SMTP servers counts as a failed login each.
func TestMetricsCountMailAndLogins(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", withMetrics(nodetest.Options{Listen: true}))
	bob := nodetest.Start(t, "bob", withMetrics(nodetest.Options{Peers: []string{alice.MeshURL()}}))
	expectMetrics(t, alice, map[string]float64{"yggpost_messages_submitted_total": 0, `yggpost_messages_delivered_total{via="direct"}`: 0})

	var msgs [][]byte
	for i := range 3 {
		msgs = append(msgs, nodetest.Message(alice.Addr, bob.Addr, fmt.Sprintf("counted %d", i), "one more\r\n"))
	}
	if err := alice.SendMany(bob.Addr, msgs); err != nil {
		t.Fatal(err)
	}
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(3, 30*time.Second), msgs)
	alice.WaitOutboxEmpty(10 * time.Second)
	expectMetrics(t, alice, map[string]float64{
		"yggpost_messages_submitted_total":                  3,
		`yggpost_messages_delivered_total{via="direct"}`:    3,
		`yggpost_messages_delivered_total{via="relay"}`:     0,
		`yggpost_delivery_latency_seconds{via="direct"}`:    3,
		"yggpost_messages_bounced_total":                    0,
		"yggpost_queue_messages":                            0,
		"yggpost_queue_oldest_age_seconds":                  0,
		"yggpost_peers_up":                                  1,
		`yggpost_auth_failures_total{protocol="smtp"}`:      0,
		`yggpost_client_sessions{protocol="imap"}`:          0,
		`yggpost_relay_refusals_total{reason="not_member"}`: 0,
	})
	expectMetrics(t, bob, map[string]float64{"yggpost_messages_submitted_total": 0, `yggpost_messages_delivered_total{via="direct"}`: 0})

	// Bob's WaitInbox keeps one IMAP session open; a guesser opens another.
	guesser, err := imapclient.DialInsecure(bob.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := guesser.Login(bob.Addr.String(), "not the password").Wait(); err == nil {
		t.Fatal("IMAP login with a wrong password succeeded")
	}
	expectMetrics(t, bob, map[string]float64{`yggpost_auth_failures_total{protocol="imap"}`: 1, `yggpost_client_sessions{protocol="imap"}`: 2})
	guesser.Close()
	testkit.WaitFor(t, 5*time.Second, "the guesser's session to end", func() bool {
		return metric(t, bob, "yggpost_client_sessions", "protocol", "imap") == 1
	})
	c, err := smtp.Dial(bob.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", bob.Addr.String(), "not the password")); err == nil {
		t.Fatal("SMTP AUTH with a wrong password succeeded")
	}
	expectMetrics(t, bob, map[string]float64{`yggpost_auth_failures_total{protocol="smtp"}`: 1, `yggpost_client_sessions{protocol="smtp"}`: 1})
}

// TestMetricsRelayDepositAndHandOver: Bob is away, so Alice's two
// messages go into the relay's custody: Alice counts them delivered via
// the relay and queued in custody, the relay holds and counts two
// deposits. When Bob returns the relay counts two hand-overs, and Alice
// two confirmations once Bob's receipts reach her.
func TestMetricsRelayDepositAndHandOver(t *testing.T) {
	t.Parallel()
	r := startRelay(t, "relay", withMetrics(nodetest.Options{}))
	bobDB := t.TempDir()
	bobOpts := nodetest.Options{DB: bobDB, Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}}
	bob := nodetest.Start(t, "bob", bobOpts)
	waitMembers(t, r, 1)
	bobAddr := bob.Addr
	bob.Stop()

	alice := nodetest.Start(t, "alice", withMetrics(nodetest.Options{Peers: []string{r.MeshURL()}, Relays: []envelope.Address{r.Addr}}))
	waitMembers(t, r, 2)
	for i := range 2 {
		alice.MustSend(bobAddr, nodetest.Message(alice.Addr, bobAddr, fmt.Sprintf("held %d", i), "for later\r\n"))
	}
	alice.WaitSentAll(2, node.KeywordRelayed, 60*time.Second)
	waitHeld(t, r, 2)
	expectMetrics(t, alice, map[string]float64{
		`yggpost_messages_delivered_total{via="relay"}`:  2,
		`yggpost_delivery_latency_seconds{via="relay"}`:  2,
		`yggpost_messages_delivered_total{via="direct"}`: 0,
		"yggpost_queue_messages":                         2,
		"yggpost_queue_in_custody_messages":              2,
	})
	expectMetrics(t, r, map[string]float64{
		"yggpost_relay_members":         2,
		"yggpost_relay_envelopes":       2,
		"yggpost_relay_deposits_total":  2,
		"yggpost_relay_handovers_total": 0,
	})
	if b := metric(t, r, "yggpost_relay_bytes"); b <= 0 {
		t.Errorf("relay holds two envelopes in %v bytes", b)
	}

	bob = nodetest.Start(t, "bob", bobOpts)
	bob.WaitInbox(2, 60*time.Second)
	testkit.WaitFor(t, 30*time.Second, "two hand-overs counted", func() bool {
		return metric(t, r, "yggpost_relay_handovers_total") == 2
	})
	alice.WaitSentAll(2, node.KeywordDelivered, 60*time.Second)
	alice.WaitOutboxEmpty(10 * time.Second)
	expectMetrics(t, alice, map[string]float64{
		"yggpost_messages_confirmed_total":               2,
		`yggpost_messages_delivered_total{via="direct"}`: 0,
		"yggpost_queue_messages":                         0,
	})
}

package metrics_test

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/metrics"
	"github.com/yggpost/yggpost/relay"
)

// scrape fetches url and parses the text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return families
}

// value is the value of the series of family name with the labels given
// as name, value pairs; ok is false if there is none.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) (v float64, ok bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func serve(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv, err := metrics.Listen("127.0.0.1:0", m.Handler(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve after Close: %v", err)
		}
	})
	return "http://" + srv.Addr().String()
}

func TestEventsAndSources(t *testing.T) {
	oldest := time.Now().Add(-time.Hour)
	relayUp := false
	m := metrics.New(metrics.Sources{
		Node: func() (metrics.Snapshot, bool) {
			return metrics.Snapshot{Queued: 3, InCustody: 1, OldestQueued: oldest, PeersUp: 2, RelaysOpen: 1}, true
		},
		Relay: func() (relay.Status, bool) {
			return relay.Status{Members: 4, Envelopes: 5, Bytes: 600, Deposits: 7, HandOvers: 2, Expired: 1}, relayUp
		},
	})
	url := serve(t, m) + "/metrics"
	before := scrape(t, url)
	for _, s := range []struct {
		name   string
		labels []string
	}{
		{"yggpost_messages_submitted_total", nil},
		{"yggpost_messages_delivered_total", []string{"via", "direct"}},
		{"yggpost_messages_delivered_total", []string{"via", "relay"}},
		{"yggpost_auth_failures_total", []string{"protocol", "imap"}},
		{"yggpost_relay_refusals_total", []string{"reason", metrics.RefusedQuota}},
		{"yggpost_client_sessions", []string{"protocol", "smtp"}},
	} {
		if v, ok := value(before, s.name, s.labels...); !ok || v != 0 {
			t.Errorf("%s%v before any event: %v (present %v), want 0", s.name, s.labels, v, ok)
		}
	}
	if _, ok := value(before, "yggpost_relay_envelopes"); ok {
		t.Error("relay metrics of a node that runs no relay")
	}

	m.Submitted()
	m.Submitted()
	m.Delivered(metrics.ViaDirect, time.Now().Add(-2*time.Second))
	m.Delivered(metrics.ViaRelay, time.Now())
	m.Deferred()
	m.Bounced()
	m.Confirmed()
	m.RelayRefused(metrics.RefusedQuota)
	check := m.CountAuthFailures(metrics.SMTP, func(user, pass string) error {
		if pass != "right" {
			return errors.New("wrong password")
		}
		return nil
	})
	_ = check("me", "wrong")
	_ = check("me", "right")
	relayUp = true

	after := scrape(t, url)
	for _, s := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"yggpost_messages_submitted_total", nil, 2},
		{"yggpost_messages_delivered_total", []string{"via", "direct"}, 1},
		{"yggpost_messages_delivered_total", []string{"via", "relay"}, 1},
		{"yggpost_delivery_latency_seconds", []string{"via", "direct"}, 1},
		{"yggpost_messages_deferred_total", nil, 1},
		{"yggpost_messages_bounced_total", nil, 1},
		{"yggpost_messages_confirmed_total", nil, 1},
		{"yggpost_relay_refusals_total", []string{"reason", metrics.RefusedQuota}, 1},
		{"yggpost_auth_failures_total", []string{"protocol", "smtp"}, 1},
		{"yggpost_auth_failures_total", []string{"protocol", "imap"}, 0},
		{"yggpost_queue_messages", nil, 3},
		{"yggpost_queue_in_custody_messages", nil, 1},
		{"yggpost_peers_up", nil, 2},
		{"yggpost_relay_sessions_open", nil, 1},
		{"yggpost_relay_members", nil, 4},
		{"yggpost_relay_envelopes", nil, 5},
		{"yggpost_relay_bytes", nil, 600},
		{"yggpost_relay_deposits_total", nil, 7},
		{"yggpost_relay_handovers_total", nil, 2},
		{"yggpost_relay_expired_total", nil, 1},
	} {
		if v, ok := value(after, s.name, s.labels...); !ok || v != s.want {
			t.Errorf("%s%v = %v (present %v), want %v", s.name, s.labels, v, ok, s.want)
		}
	}
	if age, _ := value(after, "yggpost_queue_oldest_age_seconds"); age < 3600 || age > 3700 {
		t.Errorf("oldest age %v s, want about an hour", age)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if after[name] == nil {
			t.Errorf("no %s: the Go and process collectors are missing", name)
		}
	}
	for name, f := range after {
		if strings.HasPrefix(name, "yggpost_") && f.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
	}
}

func TestOnlyMetricsIsServed(t *testing.T) {
	base := serve(t, metrics.New(metrics.Sources{}))
	for _, path := range []string{"/", "/debug/pprof/", "/metrics/x"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", path, resp.Status)
		}
	}
}

func TestListenReportsTheAddress(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, err = metrics.Listen(taken.Addr().String(), metrics.New(metrics.Sources{}).Handler(), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "listen for metrics on "+taken.Addr().String()) {
		t.Fatalf("Listen on a taken port: %v", err)
	}
}

// A connection counts as a session from Accept until its first Close.
func TestCountSessions(t *testing.T) {
	m := metrics.New(metrics.Sources{})
	url := serve(t, m) + "/metrics"
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := m.CountSessions(metrics.IMAP, raw)
	defer ln.Close()
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	sessions := func() float64 {
		v, _ := value(scrape(t, url), "yggpost_client_sessions", "protocol", "imap")
		return v
	}
	var clients, servers []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		servers = append(servers, <-accepted)
	}
	if got := sessions(); got != 2 {
		t.Fatalf("sessions with two connections: %v", got)
	}
	servers[0].Close()
	servers[0].Close()
	if got := sessions(); got != 1 {
		t.Fatalf("sessions after one closed (twice): %v", got)
	}
	servers[1].Close()
	for _, c := range clients {
		c.Close()
	}
	testkit.WaitFor(t, time.Second, "no sessions", func() bool { return sessions() == 0 })
}

// Without -metrics the node holds a nil *Metrics; every method is a no-op.
func TestNilMetricsDoesNothing(t *testing.T) {
	var m *metrics.Metrics
	m.Submitted()
	m.Delivered(metrics.ViaDirect, time.Now())
	m.Deferred()
	m.Bounced()
	m.Confirmed()
	m.RelayRefused(metrics.RefusedBusy)
	want := errors.New("x")
	if err := m.CountAuthFailures(metrics.IMAP, func(string, string) error { return want })("u", "p"); err != want {
		t.Errorf("check through a nil Metrics: %v", err)
	}
	if ln := m.CountSessions(metrics.IMAP, nil); ln != nil {
		t.Errorf("nil listener became %v", ln)
	}
}

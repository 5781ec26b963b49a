package metrics

import (
	"net"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// CountSessions returns ln with its connections counted in
// yggpost_client_sessions for protocol p: one more when a connection is
// accepted, one less when it is closed (once, however often Close is
// called). A nil ln stays nil, and a nil *Metrics returns ln itself.
func (m *Metrics) CountSessions(p Protocol, ln net.Listener) net.Listener {
	if m == nil || ln == nil {
		return ln
	}
	return &countedListener{Listener: ln, open: m.sessions.WithLabelValues(string(p))}
}

type countedListener struct {
	net.Listener
	open prometheus.Gauge
}

func (l *countedListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Inc()
	return &countedConn{Conn: conn, open: l.open}, nil
}

type countedConn struct {
	net.Conn
	open prometheus.Gauge
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(c.open.Dec)
	return c.Conn.Close()
}

// Sessions returns the number of open connections of protocol p, for the
// node's status; 0 for a nil *Metrics.
func (m *Metrics) Sessions(p Protocol) int {
	if m == nil {
		return 0
	}
	var d dto.Metric
	if err := m.sessions.WithLabelValues(string(p)).Write(&d); err != nil {
		return 0
	}
	return int(d.GetGauge().GetValue())
}

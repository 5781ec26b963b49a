package transport

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config describes one Mesh. Only PrivateKey is required.
type Config struct {
	// PrivateKey is the user's ed25519 key; its public half is the address.
	PrivateKey ed25519.PrivateKey
	// Peers are links to dial and keep up, e.g. "tcp://host:port" or
	// "tls://host:port". Yggdrasil's query options (key=, priority=,
	// password=, maxbackoff=) are passed through.
	Peers []string
	// Listen are addresses to accept peering links on, e.g.
	// "tcp://127.0.0.1:9001" or "tls://[::]:0". Port 0 picks a free port;
	// ListenAddrs reports the bound ones.
	Listen []string
	// Multicast enables discovery of peers on local networks (beacon and
	// listen, IPv6 link-local, group [ff02::114]:9001).
	Multicast bool
	// MulticastRegexp selects interfaces by name for multicast; "" means ".*".
	MulticastRegexp string
	// KeepAlive is the QUIC keep-alive period; 0 means DefaultKeepAlive.
	KeepAlive time.Duration
	// IdleTimeout closes a QUIC connection that heard nothing for this long,
	// which bounds how long a stale connection to a crashed peer survives;
	// 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Logger receives the mesh's events; nil discards them.
	Logger *slog.Logger
}

// Defaults for Config's QUIC timing.
const (
	DefaultKeepAlive   = 3 * time.Second
	DefaultIdleTimeout = 15 * time.Second
)

var (
	peerSchemes   = map[string]bool{"tcp": true, "tls": true, "quic": true, "ws": true, "wss": true, "socks": true, "sockstls": true}
	listenSchemes = map[string]bool{"tcp": true, "tls": true, "quic": true, "ws": true, "wss": true}
)

// validate checks cfg and returns the compiled multicast regexp.
func (cfg *Config) validate() (*regexp.Regexp, error) {
	if len(cfg.PrivateKey) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("private key: want %d bytes, got %d", ed25519.PrivateKeySize, len(cfg.PrivateKey))
	}
	for _, p := range cfg.Peers {
		if _, err := ParsePeerURL(p); err != nil {
			return nil, err
		}
	}
	for _, l := range cfg.Listen {
		if _, err := ParseListenURL(l); err != nil {
			return nil, err
		}
	}
	expr := cfg.MulticastRegexp
	if expr == "" {
		expr = ".*"
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("multicast interface regexp %q: %w", expr, err)
	}
	return re, nil
}

// ParsePeerURL checks a peer link URL such as "tls://host:port" and returns
// it parsed. The port must be given and non-zero.
func ParsePeerURL(s string) (*url.URL, error) {
	u, err := parseLinkURL(s, peerSchemes)
	if err != nil {
		return nil, fmt.Errorf("peer %q: %w", s, err)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("peer %q: missing host", s)
	}
	if u.Port() == "0" {
		return nil, fmt.Errorf("peer %q: port 0 cannot be dialed", s)
	}
	return u, nil
}

// ParseListenURL checks a listen URL such as "tcp://127.0.0.1:0" and returns
// it parsed. Port 0 asks for a free port.
func ParseListenURL(s string) (*url.URL, error) {
	u, err := parseLinkURL(s, listenSchemes)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", s, err)
	}
	return u, nil
}

func parseLinkURL(s string, schemes map[string]bool) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		return nil, errors.New("missing scheme, want e.g. tcp://host:port")
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme == "" {
		return nil, errors.New("missing scheme, want e.g. tcp://host:port")
	}
	if !schemes[strings.ToLower(u.Scheme)] {
		return nil, fmt.Errorf("unsupported scheme %q (want one of %s)", u.Scheme, schemeList(schemes))
	}
	_, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return nil, fmt.Errorf("want host:port: %w", err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("bad port %q: want 0-65535", port)
	}
	return u, nil
}

func schemeList(schemes map[string]bool) string {
	order := []string{"tcp", "tls", "quic", "ws", "wss", "socks", "sockstls"}
	var out []string
	for _, s := range order {
		if schemes[s] {
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

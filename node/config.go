package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/membership"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/relayrole"
	"github.com/yggpost/yggpost/node/transport"
	"github.com/yggpost/yggpost/relay"
)

// Defaults a node uses when a Config field is left empty.
const (
	DefaultDatabase       = "./yggpost.db"
	DefaultSMTPAddr       = "localhost:1025"
	DefaultIMAPAddr       = "localhost:1143"
	DefaultMaxMessageSize = 64 << 20
	DefaultGiveUp         = outbox.DefaultGiveUp
	// DefaultReachTimeout bounds a direct delivery attempt's search for
	// the recipient before the envelope goes to a relay instead.
	DefaultReachTimeout = 15 * time.Second
	// DefaultExpireInterval is how often a relay deletes what is past its
	// retention.
	DefaultExpireInterval = relayrole.DefaultExpireInterval
)

// Config says where a node keeps its mailbox, where it serves its mail
// clients and how it joins the mesh.
type Config struct {
	// Database is the Badger directory holding the mailbox, the outbox,
	// the node's key and the password hash.
	Database string
	// SMTPAddr and IMAPAddr are the listen addresses for the user's mail
	// clients ("host:port"; port 0 picks a free port): loopback by
	// default. Both offer STARTTLS.
	SMTPAddr string
	IMAPAddr string
	// IMAPSAddr and SubmissionsAddr, when set, are listen addresses whose
	// connections run TLS from the first byte (IMAPS, port 993, and SMTP
	// submission, port 465, by convention).
	IMAPSAddr       string
	SubmissionsAddr string
	// TLSCertFile and TLSKeyFile are the user's certificate (with its
	// chain) and key in PEM, read again by ReloadTLS; without them the
	// node uses a self-signed certificate it keeps in its database.
	TLSCertFile string
	TLSKeyFile  string
	// TLSHosts are the host names and addresses by which other devices
	// reach the node; the self-signed certificate names them.
	TLSHosts []string
	// AllowPlainAuth lets mail clients on other machines send their
	// password without TLS. It is meant for a network that protects
	// itself (a VPN, a mesh-only LAN); anyone who can read the network
	// reads the password. Loopback clients may always.
	AllowPlainAuth bool
	// Control serves the control socket (node/control) in the database
	// directory, through which the yggpost command reaches the running
	// node: backups, for one.
	Control bool
	// Reload, when set, is what the control socket's "reload" runs: the
	// owner reads its configuration again and applies it to the running
	// node (SetPeers, SetRelays, ReloadTLS, log levels), as on SIGHUP.
	Reload func() error
	// Metrics, when set, is the listen address ("host:port") of an HTTP
	// server with the node's metrics in the Prometheus text format at
	// /metrics (node/metrics); "" serves none.
	Metrics string
	// Peers are Yggdrasil peers to connect to (tcp:// or tls:// URLs).
	Peers []string
	// Listen are Yggdrasil listen URLs, so other nodes can peer with us.
	Listen []string
	// Multicast enables discovery of nodes on the local network.
	Multicast bool
	// MulticastRegexp selects the interfaces multicast uses.
	MulticastRegexp string
	// MaxMessageSize bounds one message, in bytes (advertised as SMTP SIZE).
	MaxMessageSize int64
	// GiveUp is how long a message stays queued before it bounces.
	GiveUp time.Duration
	// NotifyAfter is how long a message may wait before the sender gets a
	// "delayed" report (outbox.DefaultNotifyAfter when zero).
	NotifyAfter time.Duration
	// ReachTimeout bounds the search for a recipient on the mesh in one
	// direct delivery attempt; after it the envelope goes to a relay.
	ReachTimeout time.Duration

	// Relays are the relays this user is a member of (the -relays flag):
	// the node registers with each, collects what they hold for it, and
	// names them in its relay record.
	Relays []RelayRef
	// Relay, when not nil, runs the relay role: this node holds envelopes
	// for its members (and, with Forward, for their correspondents). Its
	// Key is the node's own key and need not be set.
	Relay *relay.Options
	// ExpireInterval is how often the relay deletes expired envelopes.
	ExpireInterval time.Duration
	// Logger receives one structured line per event; nil discards.
	Logger *slog.Logger
	// Observer hears of stored messages, outcomes of sent ones and
	// connectivity, for an app that embeds the node; nil hears nothing.
	Observer Observer
}

// withDefaults returns a copy of c with empty fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.SMTPAddr == "" {
		c.SMTPAddr = DefaultSMTPAddr
	}
	if c.IMAPAddr == "" {
		c.IMAPAddr = DefaultIMAPAddr
	}
	if c.MulticastRegexp == "" {
		c.MulticastRegexp = ".*"
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.GiveUp <= 0 {
		c.GiveUp = DefaultGiveUp
	}
	if c.NotifyAfter <= 0 {
		c.NotifyAfter = outbox.DefaultNotifyAfter
	}
	if c.ReachTimeout <= 0 {
		c.ReachTimeout = DefaultReachTimeout
	}
	if c.ExpireInterval <= 0 {
		c.ExpireInterval = DefaultExpireInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Observer == nil {
		c.Observer = quietObserver{}
	}
	return c
}

// Validate reports the first thing wrong with the configuration, in words
// a user can act on.
func (c Config) Validate() error {
	c = c.withDefaults()
	for _, a := range []struct{ flag, addr string }{{"-smtp", c.SMTPAddr}, {"-imap", c.IMAPAddr},
		{"-imaps", c.IMAPSAddr}, {"-submissions", c.SubmissionsAddr}, {"-metrics", c.Metrics}} {
		if a.addr == "" && (a.flag == "-imaps" || a.flag == "-submissions" || a.flag == "-metrics") {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return fmt.Errorf("%s %q: want host:port: %w", a.flag, a.addr, err)
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return errors.New("-tls-cert and -tls-key go together: give both, or neither for the node's self-signed certificate")
	}
	for _, h := range c.TLSHosts {
		if h == "" || strings.ContainsAny(h, " /:@") && net.ParseIP(h) == nil {
			return fmt.Errorf("-tls-host %q: want a host name or an IP address", h)
		}
	}
	for _, p := range c.Peers {
		if _, err := transport.ParsePeerURL(p); err != nil {
			return fmt.Errorf("-peer: %w", err)
		}
	}
	for _, l := range c.Listen {
		if _, err := transport.ParseListenURL(l); err != nil {
			return fmt.Errorf("-listen: %w", err)
		}
	}
	if _, err := regexp.Compile(c.MulticastRegexp); err != nil {
		return fmt.Errorf("-mcastregexp %q: %w", c.MulticastRegexp, err)
	}
	return c.validateRelays()
}

// validateRelays checks the relay list: at most relay.MaxRelays
// relays, no repeats.
func (c Config) validateRelays() error {
	if len(c.Relays) > relay.MaxRelays {
		return fmt.Errorf("-relays: %d relays named, at most %d are supported", len(c.Relays), relay.MaxRelays)
	}
	seen := map[envelope.Address]bool{}
	for _, r := range c.Relays {
		if seen[r.Address] {
			return fmt.Errorf("-relays: %s is named twice", r.Address)
		}
		seen[r.Address] = true
	}
	return nil
}

// notSelf refuses a relay list that names the node itself.
func notSelf(relays []RelayRef, self envelope.Address) error {
	for _, r := range relays {
		if r.Address == self {
			return fmt.Errorf("-relays: %s is this node's own address; a node cannot be its own relay", r.Address)
		}
	}
	return nil
}

// RelayRef names one relay the user is a member of, with the invite token
// to register with if the relay admits by invitation.
type RelayRef = membership.Relay

// ParseRelayRef reads one entry of -relays: a relay's address, optionally
// followed by "=" and an invite token.
func ParseRelayRef(s string) (RelayRef, error) {
	addr, token, _ := strings.Cut(strings.TrimSpace(s), "=")
	a, err := envelope.ParseAddress(addr)
	if err != nil {
		return RelayRef{}, fmt.Errorf("relay %q: %w", s, err)
	}
	if len(token) > relay.MaxTokenLen {
		return RelayRef{}, fmt.Errorf("relay %q: the invite token is longer than %d characters", s, relay.MaxTokenLen)
	}
	for _, c := range []byte(token) {
		if c < 0x21 || c > 0x7e {
			return RelayRef{}, fmt.Errorf("relay %q: the invite token may hold only printable ASCII without spaces", s)
		}
	}
	return RelayRef{Address: a, Invite: token}, nil
}

// Isolated reports whether the node has no way to reach anyone: no peer,
// no listener and no multicast.
func (c Config) Isolated() bool {
	return len(c.Peers) == 0 && len(c.Listen) == 0 && !c.Multicast
}

// ErrIsolated explains what to add when a node could reach no one.
var ErrIsolated = errors.New("no way to reach other nodes: add -peer tls://host:port, -listen tcp://0.0.0.0:port or -multicast")

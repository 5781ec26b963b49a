package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"time"

	"github.com/yggpost/yggpost/node/transport"
)

// Defaults a node uses when a Config field is left empty.
const (
	DefaultDatabase       = "./yggpost.db"
	DefaultSMTPAddr       = "localhost:1025"
	DefaultIMAPAddr       = "localhost:1143"
	DefaultMaxMessageSize = 64 << 20
	DefaultGiveUp         = 5 * 24 * time.Hour
)

// Config says where a node keeps its mailbox, where it serves its mail
// clients and how it joins the mesh.
type Config struct {
	// Database is the Badger directory holding the mailbox, the outbox,
	// the node's key and the password hash.
	Database string
	// SMTPAddr and IMAPAddr are the loopback listen addresses for the
	// user's mail clients ("host:port"; port 0 picks a free port).
	SMTPAddr string
	IMAPAddr string
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
	// Logger receives one structured line per event; nil discards.
	Logger *slog.Logger
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
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first thing wrong with the configuration, in words
// a user can act on.
func (c Config) Validate() error {
	c = c.withDefaults()
	for _, a := range []struct{ flag, addr string }{{"-smtp", c.SMTPAddr}, {"-imap", c.IMAPAddr}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return fmt.Errorf("%s %q: want host:port: %w", a.flag, a.addr, err)
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
	return nil
}

// Isolated reports whether the node has no way to reach anyone: no peer,
// no listener and no multicast.
func (c Config) Isolated() bool {
	return len(c.Peers) == 0 && len(c.Listen) == 0 && !c.Multicast
}

// ErrIsolated explains what to add when a node could reach no one.
var ErrIsolated = errors.New("no way to reach other nodes: add -peer tls://host:port, -listen tcp://0.0.0.0:port or -multicast")

// Package mobile embeds a Yggpost node in a phone app. It is the surface
// gomobile binds (Java/Kotlin on Android, Objective-C/Swift on iOS), so it
// uses only the types gomobile supports: strings, booleans, integers,
// errors, and its own structs and interfaces. It wraps package node and
// implements nothing of its own: the app talks IMAP and SMTP to the node
// on loopback, like any mail client (Delta Chat, K-9), and uses this
// package to start and stop it, change its peers, tell it of network
// changes and hear what happens.
//
// Lifecycle: NewNode names the database directory and opens nothing; Start
// opens the database and returns once IMAP and SMTP listen; Stop returns
// once every port and the database are released, so Start right after
// succeeds on the same ports. Stop is idempotent. The password can be set
// or created whether the node runs or not.
package mobile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node"
)

// Callbacks is what the app implements to hear from the node. The methods
// are called on the node's goroutines and must return quickly (hand the
// work to the app's own thread).
type Callbacks interface {
	// Log receives one log line of the node.
	Log(line string)
	// MessageStored: a message is in mailbox under uid, from the address
	// from (a new mail notification).
	MessageStored(mailbox string, uid int64, from string)
	// MessageOutcome: the message the user sent to recipient with
	// Message-ID messageID ("<…>", as in the message's header) was
	// "relayed" (a relay holds it while the recipient is offline),
	// "delivered" or "failed" (the report is in INBOX). A message to
	// several recipients has an outcome for each.
	MessageOutcome(recipient, messageID, outcome string)
	// Connectivity: peers peering links are up and relays relay sessions
	// are open.
	Connectivity(peers, relays int)
}

// Config is the small configuration of an embedded node.
type Config struct {
	// SMTPPort and IMAPPort are the loopback ports for the app's mail
	// client (defaults 1025 and 1143).
	SMTPPort int
	IMAPPort int
	// Peers are Yggdrasil peer URLs (tls://host:port), separated by
	// commas, spaces or new lines.
	Peers string
	// Multicast finds nodes on the local network.
	Multicast bool
	// Relays are the user's relays, "<address>[=<invite>]", separated as
	// Peers are.
	Relays string
	// LogLevel is "debug", "info" (the default), "warn" or "error".
	LogLevel string
}

// NewConfig returns a Config with the default ports and log level.
func NewConfig() *Config {
	return &Config{SMTPPort: 1025, IMAPPort: 1143, LogLevel: "info"}
}

// Node is an embedded node. Create it with NewNode.
type Node struct {
	dir string

	mu   sync.Mutex // serialises Start, Stop and the password calls
	run  *running   // nil while stopped
	quit chan struct{}
}

// running is a started node and what stops it.
type running struct {
	n      *node.Node
	cancel context.CancelFunc
	done   chan error // Run's result
}

// NewNode returns the node whose database is the directory dir (created on
// first Start). It opens nothing.
func NewNode(dir string) *Node { return &Node{dir: dir} }

// Start opens the database and starts the node; it returns once IMAP and
// SMTP listen on loopback. Starting a running node is an error.
func (m *Node) Start(cfg *Config, cb Callbacks) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.run != nil {
		return errors.New("the node is running already")
	}
	ncfg, err := nodeConfig(m.dir, cfg, cb)
	if err != nil {
		return err
	}
	n, err := node.Open(ncfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{n: n, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- n.Run(ctx) }()
	select {
	case <-n.Ready():
		m.run = r
		return nil
	case err := <-r.done:
		cancel()
		n.Close()
		return fmt.Errorf("start the node: %w", err)
	}
}

// Stop stops the node and returns once its ports and database are
// released. Stopping a stopped node does nothing.
func (m *Node) Stop() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.run == nil {
		return nil
	}
	r := m.run
	m.run = nil
	r.cancel()
	runErr := <-r.done
	if err := r.n.Close(); err != nil {
		return fmt.Errorf("close the database: %w", err)
	}
	return runErr
}

// IsRunning reports whether the node is started.
func (m *Node) IsRunning() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.run != nil
}

// nodeConfig turns the app's Config into the node's.
func nodeConfig(dir string, cfg *Config, cb Callbacks) (node.Config, error) {
	if cfg == nil {
		cfg = NewConfig()
	}
	level, err := logLevel(cfg.LogLevel)
	if err != nil {
		return node.Config{}, err
	}
	ncfg := node.Config{
		Database:  dir,
		SMTPAddr:  net.JoinHostPort("127.0.0.1", strconv.Itoa(portOr(cfg.SMTPPort, 1025))),
		IMAPAddr:  net.JoinHostPort("127.0.0.1", strconv.Itoa(portOr(cfg.IMAPPort, 1143))),
		Peers:     splitList(cfg.Peers),
		Multicast: cfg.Multicast,
		Logger:    slog.New(slog.NewTextHandler(lineWriter{cb}, &slog.HandlerOptions{Level: level})),
	}
	if cb != nil {
		ncfg.Observer = observer{cb}
	}
	if ncfg.Relays, err = relayRefs(cfg.Relays); err != nil {
		return node.Config{}, err
	}
	return ncfg, ncfg.Validate()
}

func portOr(port, def int) int {
	if port <= 0 {
		return def
	}
	return port
}

// splitList splits a list separated by commas, spaces or new lines.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func logLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
}

// withNode runs fn with the running node, or fails if it is stopped.
func (m *Node) withNode(fn func(*node.Node) error) error {
	m.mu.Lock()
	r := m.run
	m.mu.Unlock()
	if r == nil {
		return node.ErrNotRunning
	}
	return fn(r.n)
}

// SetPeers replaces the Yggdrasil peers of the running node (a list as in
// Config.Peers); IMAP and SMTP stay up.
func (m *Node) SetPeers(peers string) error {
	return m.withNode(func(n *node.Node) error { return n.SetPeers(splitList(peers)) })
}

// SetRelays replaces the user's relays of the running node (a list as in
// Config.Relays); IMAP and SMTP stay up, sessions with new relays open at
// once.
func (m *Node) SetRelays(relays string) error {
	refs, err := relayRefs(relays)
	if err != nil {
		return err
	}
	return m.withNode(func(n *node.Node) error { return n.SetRelays(refs) })
}

// relayRefs reads a list of "<address>[=<invite>]".
func relayRefs(list string) ([]node.RelayRef, error) {
	var refs []node.RelayRef
	for _, s := range splitList(list) {
		ref, err := node.ParseRelayRef(s)
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// NetworkChanged tells the running node that the phone's network changed:
// it redials its peers and at once collects from its relays and retries
// its outbox.
func (m *Node) NetworkChanged() error {
	return m.withNode(func(n *node.Node) error { return n.NetworkChanged() })
}

// SetForeground tells the node whether the app is in the foreground.
// Coming to the foreground counts as a network change (the user is
// looking, so mail is collected and sent now), and the node compacts its
// store then, while the phone is awake anyway: at rest it runs no
// background compaction. It returns once the store is compacted, so call it
// off the UI thread. Going to the background changes nothing: the node does
// nothing on a timer of its own at rest.
func (m *Node) SetForeground(foreground bool) error {
	if !foreground {
		return nil
	}
	return m.withNode(func(n *node.Node) error {
		if err := n.NetworkChanged(); err != nil {
			return err
		}
		return n.Compact()
	})
}

// StatusJSON returns the running node's peers, relays and outbox as JSON
// (the fields of node.Status).
func (m *Node) StatusJSON() (string, error) {
	var out string
	err := m.withNode(func(n *node.Node) error {
		st, err := n.Status()
		if err != nil {
			return err
		}
		b, err := json.Marshal(st)
		out = string(b)
		return err
	})
	return out, err
}

// MaxMessageSize is the largest message, in bytes, the node accepts from
// the app's mail client and from other nodes.
func MaxMessageSize() int64 { return node.DefaultMaxMessageSize }

// lineWriter hands each log line to the app.
type lineWriter struct{ cb Callbacks }

func (w lineWriter) Write(p []byte) (int, error) {
	if w.cb != nil {
		w.cb.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// observer passes the node's events to the app's callbacks.
type observer struct{ cb Callbacks }

func (o observer) MessageStored(mailbox string, uid uint32, from envelope.Address) {
	o.cb.MessageStored(mailbox, int64(uid), from.String())
}

func (o observer) MessageOutcome(rcpt envelope.Address, messageID string, _ envelope.ID, outcome node.Outcome) {
	o.cb.MessageOutcome(rcpt.String(), messageID, outcome.String())
}

func (o observer) Connectivity(peers, relays int) { o.cb.Connectivity(peers, relays) }

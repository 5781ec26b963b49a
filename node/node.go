// Package node wires one Yggpost node together: the mailbox store, the
// embedded Yggdrasil mesh with streams over it, the node-to-node delivery
// protocol, the IMAP and SMTP front ends for the user's mail clients, and
// the outbox queue.
//
// Lifecycle: Open opens the store and the node's key and starts nothing;
// Run starts every component, blocks until its context is cancelled or a
// component fails, then stops them in reverse order of start and returns
// once every goroutine it started has returned. (One goroutine inside the
// QUIC library stays blocked in Accept after shutdown; see node/transport.)
package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/peerbook"
	"github.com/yggpost/yggpost/node/transport"
	"github.com/yggpost/yggpost/relay"
)

// Node is one user's node. Create it with Open.
type Node struct {
	cfg   Config
	log   *slog.Logger
	store *mailbox.Store
	key   ed25519.PrivateKey
	addr  envelope.Address
	auth  authenticator

	book         *peerbook.Book
	record       ownRecord // this node's relay record, if it has relays
	members      []*member // hand-over sessions, one per configured relay
	drops        *dropper
	receipts     *receiptBatcher
	announceKick chan struct{}
	forwardKick  chan struct{}

	ready    chan struct{}
	mu       sync.Mutex // guards the fields below, set once Run has started them
	mesh     *transport.Mesh
	queue    *outbox.Queue
	relay    *relay.Relay // nil unless Config.Relay is set
	smtpLn   net.Listener
	imapLn   net.Listener
	meshAddr []string
}

// Open opens (or creates) the node's database and key. It starts nothing.
func Open(cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	store, err := mailbox.Open(cfg.Database, mailbox.Options{
		Logger:         cfg.Logger.With("component", "mailbox"),
		MaxMessageSize: cfg.MaxMessageSize,
	})
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", cfg.Database, err)
	}
	key, err := loadOrCreateKey(store)
	if err != nil {
		store.Close()
		return nil, err
	}
	addr, err := envelope.AddressFromKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("node key: %w", err)
	}
	book, err := peerbook.Open(store, addr, cfg.Logger)
	if err != nil {
		store.Close()
		return nil, err
	}
	for _, r := range cfg.Relays {
		if r.Address == addr {
			store.Close()
			return nil, fmt.Errorf("-relays: %s is this node's own address; a node cannot be its own relay", r.Address)
		}
	}
	n := &Node{
		cfg: cfg, log: cfg.Logger, store: store, key: key, addr: addr,
		auth:     authenticator{store: store, local: addr},
		book: book, announceKick: make(chan struct{}, 1),
		drops: newDropper(), receipts: newReceiptBatcher(), forwardKick: make(chan struct{}, 1),
		ready: make(chan struct{}),
	}
	for _, r := range cfg.Relays {
		n.members = append(n.members, &member{n: n, relay: r, kick: make(chan struct{}, 1)})
	}
	return n, nil
}

// Address is the node's mail address, which is also the IMAP/SMTP user name.
func (n *Node) Address() envelope.Address { return n.addr }

// Store is the node's mailbox store.
func (n *Node) Store() *mailbox.Store { return n.store }

// SetPassword sets the IMAP/SMTP password.
func (n *Node) SetPassword(password string) error { return SetPassword(n.store, password) }

// SetPasswordHash sets the IMAP/SMTP password from a bcrypt hash.
func (n *Node) SetPasswordHash(hash string) error { return SetPasswordHash(n.store, hash) }

// Close closes the database. Call it after Run has returned.
func (n *Node) Close() error { return n.store.Close() }

// Ready is closed once Run has started every component and bound every
// listener.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// SMTPAddr, IMAPAddr and MeshListenAddrs report the bound addresses once
// Ready is closed (useful when the configuration asked for port 0).
func (n *Node) SMTPAddr() string { n.mu.Lock(); defer n.mu.Unlock(); return n.smtpLn.Addr().String() }

// IMAPAddr: see SMTPAddr.
func (n *Node) IMAPAddr() string { n.mu.Lock(); defer n.mu.Unlock(); return n.imapLn.Addr().String() }

// MeshListenAddrs: see SMTPAddr.
func (n *Node) MeshListenAddrs() []string { n.mu.Lock(); defer n.mu.Unlock(); return n.meshAddr }

// Run starts the node and serves until ctx is cancelled or a component
// fails; it returns after an orderly shutdown.
func (n *Node) Run(ctx context.Context) error {
	if n.cfg.Isolated() {
		n.log.Warn(ErrIsolated.Error())
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var stops []func()
	defer func() {
		cancel(nil)
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}()
	var wg sync.WaitGroup
	stops = append(stops, wg.Wait)
	goServe := func(name string, serve func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := serve(); err != nil && ctx.Err() == nil {
				cancel(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	for _, start := range []func(context.Context, goFunc) (func(), error){
		n.startMesh, n.startRelay, n.startQueue, n.startMembership, n.startPeerServer, n.startSMTP, n.startIMAP,
	} {
		stop, err := start(ctx, goServe)
		if err != nil {
			return err
		}
		stops = append(stops, stop)
	}
	n.log.Info("node running", "address", n.addr.String(), "smtp", n.SMTPAddr(), "imap", n.IMAPAddr(),
		"peers", n.cfg.Peers, "listen", n.MeshListenAddrs(), "multicast", n.cfg.Multicast)
	close(n.ready)
	<-ctx.Done()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		n.log.Error("stopping after a failure", "err", err)
		return err
	}
	n.log.Info("node stopping")
	return nil
}

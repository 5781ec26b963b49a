// Package node wires one Yggpost node together — the mailbox store, the
// embedded Yggdrasil mesh, the node-to-node protocol, the IMAP and SMTP
// front ends for the user's mail clients, the outbox queue, the relay
// membership and, on a relay, the relay role — and runs the two mail
// flows: submit → deliver (submitter, courier, reporter) and receive
// (receiver, receiptBatcher). docs/architecture.md draws both and lists
// every goroutine.
//
// Lifecycle: Open opens the store and the node's key and starts nothing;
// Run builds every part, starts their goroutines, blocks until its context
// is cancelled or a part fails, then closes the servers and the mesh, waits
// for every goroutine it started, closes the relay store and returns. (One
// goroutine inside the QUIC library stays blocked in Accept after shutdown;
// see node/transport.)
package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/tlscert"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/control"
	"github.com/yggpost/yggpost/node/imapd"
	"github.com/yggpost/yggpost/node/membership"
	"github.com/yggpost/yggpost/node/metrics"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/node/peerbook"
	"github.com/yggpost/yggpost/node/relayrole"
	"github.com/yggpost/yggpost/node/smtpd"
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
	book  *peerbook.Book
	tls   *tlscert.Source // the certificate the client listeners present

	// The two mail flows (see docs/architecture.md): submit → deliver, and
	// receive (the receiver is made with the running parts below).
	marks    sentMarks
	submit   *submitter
	receipts *receiptBatcher
	reports  *reporter

	ready    chan struct{} // closed once every part below is built and serving
	life     sync.RWMutex  // held for reading by calls that use the running parts
	stopping bool          // Run is shutting down; guarded by life

	// The parts of a running node, made by build (wiring.go) before Run
	// starts any goroutine, unchanged until Run returns.
	mesh     *transport.Mesh
	meshAddr []string
	dialer   *peer.Dialer
	recv     *receiver
	greeter  *announcer
	events   *meshEvents
	role     *relayrole.Role // nil unless Config.Relay is set
	members  *membership.Membership
	queue    *outbox.Queue
	peerSrv  *peer.Server
	smtpLn   net.Listener
	smtpsLn  net.Listener // nil unless Config.SubmissionsAddr
	smtpSrv  *smtpd.Server
	imapLn   net.Listener
	imapsLn  net.Listener    // nil unless Config.IMAPSAddr
	ctl      *control.Server // nil unless Config.Control
	started  time.Time       // when Run became ready; set before ready closes
	imapSrv  *imapd.Server

	metrics    *metrics.Metrics // counted always, served with Config.Metrics; see metrics.go
	metricsSrv *metrics.Server  // nil unless Config.Metrics
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
	if err := notSelf(cfg.Relays, addr); err != nil {
		store.Close()
		return nil, err
	}
	certs, err := openCertificate(cfg, store, addr)
	if err != nil {
		store.Close()
		return nil, err
	}
	n := &Node{
		cfg: cfg, log: cfg.Logger, store: store, key: key, addr: addr,
		auth: authenticator{store: store, local: addr}, book: book, tls: certs,
		marks: sentMarks{store: store, observer: cfg.Observer, log: cfg.Logger}, ready: make(chan struct{}),
	}
	n.metrics = n.newMetrics()
	n.marks.metrics = n.metrics // before the copies of marks below
	n.submit = &submitter{local: addr, key: key, store: store, maxSize: cfg.MaxMessageSize, deliver: n.deliver, observer: cfg.Observer, log: cfg.Logger}
	n.receipts = newReceiptBatcher(n.submit, n.marks)
	n.reports = &reporter{local: addr, store: store, book: book, marks: n.marks, giveUp: cfg.GiveUp, log: cfg.Logger}
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

// CheckPassword reports whether password is the IMAP/SMTP password (see
// the function CheckPassword).
func (n *Node) CheckPassword(password string) error { return CheckPassword(n.store, password) }

// Close closes the database. Call it after Run has returned.
func (n *Node) Close() error { return n.store.Close() }

// Compact compacts the node's stores now (the mailbox and, while the node
// runs as a relay, the relay store) and returns when that is done. The
// stores compact by themselves once enough was written and when they
// close; an app calls Compact at a moment that suits the device, for
// example when it comes to the foreground.
func (n *Node) Compact() error {
	err := n.store.Compact()
	if n.cfg.Relay == nil {
		return err
	}
	relayErr := n.whileRunning(func() error { return n.role.Compact() })
	if errors.Is(relayErr, ErrNotRunning) {
		relayErr = nil // the relay store is open only while the node runs
	}
	return errors.Join(err, relayErr)
}

// Ready is closed once Run has started every component and bound every
// listener.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// SMTPAddr, IMAPAddr and MeshListenAddrs report the bound addresses once
// Ready is closed (useful when the configuration asked for port 0); before
// that they report nothing.
func (n *Node) SMTPAddr() string {
	if !n.running() {
		return ""
	}
	return n.smtpLn.Addr().String()
}

// IMAPAddr: see SMTPAddr.
func (n *Node) IMAPAddr() string {
	if !n.running() {
		return ""
	}
	return n.imapLn.Addr().String()
}

// IMAPSAddr is the bound address of the IMAPS listener, "" without one:
// see SMTPAddr.
func (n *Node) IMAPSAddr() string {
	if !n.running() || n.imapsLn == nil {
		return ""
	}
	return n.imapsLn.Addr().String()
}

// SubmissionsAddr: see IMAPSAddr.
func (n *Node) SubmissionsAddr() string {
	if !n.running() || n.smtpsLn == nil {
		return ""
	}
	return n.smtpsLn.Addr().String()
}

// MeshListenAddrs: see SMTPAddr.
func (n *Node) MeshListenAddrs() []string {
	if !n.running() {
		return nil
	}
	return n.meshAddr
}

// running reports whether Ready is closed, after which the parts of the
// running node may be read from any goroutine.
func (n *Node) running() bool {
	select {
	case <-n.ready:
		return true
	default:
		return false
	}
}

// RelayStatus returns the relay's figures, and false if the node runs no
// relay or is not running yet.
func (n *Node) RelayStatus() (relay.Status, bool) {
	if !n.running() || n.role == nil {
		return relay.Status{}, false
	}
	return n.role.Status(), true
}

// NewRelayInvites creates count single-use invite tokens in the relay
// store: the running relay's, or, on a node that is not running, the one
// in its database directory.
func (n *Node) NewRelayInvites(count int) ([]string, error) {
	if role := n.runningRole(); role != nil {
		return role.NewInvites(count)
	}
	opts := relay.Options{}
	if n.cfg.Relay != nil {
		opts = *n.cfg.Relay
	}
	return relayrole.NewInvites(n.cfg.Database, opts, n.key, count)
}

// Run builds the node's parts, serves until ctx is cancelled or a part
// fails, and returns after an orderly shutdown: the mesh and the servers
// close, every goroutine Run started returns, then the relay store closes.
func (n *Node) Run(ctx context.Context) error {
	if n.cfg.Isolated() {
		n.log.Warn(ErrIsolated.Error())
	}
	if err := n.build(); err != nil {
		n.stopServing()
		n.release()
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	n.serve(ctx, func(name string, serve func() error) {
		wg.Go(func() {
			if err := serve(); err != nil && ctx.Err() == nil {
				cancel(fmt.Errorf("%s: %w", name, err))
			}
		})
	})
	n.log.Info("node running", "address", n.addr.String(), "smtp", n.smtpLn.Addr().String(), "imap", n.imapLn.Addr().String(),
		"submissions", n.SubmissionsAddr(), "imaps", n.IMAPSAddr(),
		"peers", n.cfg.Peers, "listen", n.meshAddr, "multicast", n.cfg.Multicast)
	logCertificate(n.log, n.tls, tlscert.Change{})
	n.started = time.Now()
	close(n.ready)
	<-ctx.Done()
	err := context.Cause(ctx)
	if err != nil && !errors.Is(err, context.Canceled) {
		n.log.Error("stopping after a failure", "err", err)
	} else {
		n.log.Info("node stopping")
		err = nil
	}
	n.life.Lock()
	n.stopping = true // SetPeers and NetworkChanged do nothing from now on
	n.life.Unlock()
	n.stopServing()
	wg.Wait()
	n.release()
	return err
}

// deliver hands a row just queued to the delivery queue (outbox.Queued). A
// node that is not running has no queue: what is queued waits for Run.
func (n *Node) deliver(row mailbox.Outbound) {
	if n.queue != nil {
		n.queue.Queued(row)
	}
}

// runningRole returns the relay role while the node runs as a relay.
func (n *Node) runningRole() *relayrole.Role {
	n.life.RLock()
	defer n.life.RUnlock()
	if !n.running() || n.stopping {
		return nil
	}
	return n.role
}

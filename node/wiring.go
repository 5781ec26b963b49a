package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/clientsec"
	"github.com/yggpost/yggpost/internal/loginguard"
	"github.com/yggpost/yggpost/internal/periodic"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/imapd"
	"github.com/yggpost/yggpost/node/membership"
	"github.com/yggpost/yggpost/node/metrics"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/node/relayrole"
	"github.com/yggpost/yggpost/node/smtpd"
	"github.com/yggpost/yggpost/node/transport"
	"github.com/yggpost/yggpost/relay"
)

// Wiring. Run builds every part of a running node (build) before it starts
// any goroutine (serve); the parts do not change until Run returns, so the
// goroutines read them without a lock, and callers outside Run read them
// only once Ready is closed. On the way out Run closes the mesh and the
// servers (stopServing), which ends every loop and stream, waits for every
// goroutine it started, and only then closes the relay store (release).

const (
	// probeInterval is how often the node asks the mesh for a path to
	// each recipient it holds mail for, while it holds some. A lookup is
	// one small packet; when the path appears the mesh reports it and the
	// queue delivers at once.
	probeInterval = 2 * time.Second
	// gcInterval is how often the store reclaims space of deleted
	// messages.
	gcInterval = time.Hour
)

// goFunc runs a component's serve loop on a goroutine owned by Run.
type goFunc func(name string, serve func() error)

// build makes every part and binds every listener, starting no goroutine of
// the node's own (the mesh runs its core). On an error the caller still
// calls stopServing and release, which close what was made.
func (n *Node) build() error {
	mesh, err := transport.New(transport.Config{
		PrivateKey:      n.key,
		Peers:           n.cfg.Peers,
		Listen:          n.cfg.Listen,
		Multicast:       n.cfg.Multicast,
		MulticastRegexp: n.cfg.MulticastRegexp,
		Logger:          n.log,
	})
	if err != nil {
		return fmt.Errorf("start mesh: %w", err)
	}
	n.mesh, n.meshAddr = mesh, mesh.ListenAddrs()
	n.dialer = &peer.Dialer{Mesh: mesh, Client: peer.Client{Local: n.addr, Timeouts: peer.Timeouts{Greeting: greetingTimeout}}}
	n.greeter = &announcer{book: n.book, dialer: n.dialer, kick: make(chan struct{}, 1), log: n.log}
	n.events = &meshEvents{mesh: mesh, store: n.store, book: n.book, greeter: n.greeter, observer: n.cfg.Observer, waiting: make(chan struct{}, 1)}
	if err := n.buildRelaying(); err != nil {
		return err
	}
	c := &courier{
		store: n.store, key: n.key, book: n.book, dialer: n.dialer, members: n.members,
		reach: n.cfg.ReachTimeout, marks: n.marks, isReceipt: func(row mailbox.Outbound) bool { return isReceiptRow(n.store, row) }, log: n.log,
	}
	n.queue = outbox.New(outbox.Options{
		Store:       n.store,
		Deliver:     c.deliver,
		Bounce:      n.reports.bounce,
		Notify:      n.reports.notifyDelay,
		GiveUp:      n.cfg.GiveUp,
		NotifyAfter: n.cfg.NotifyAfter,
		Waiting:     n.events.mailWaits,
		Deferred:    n.metrics.Deferred,
		Logger:      n.log.With("component", "outbox"),
	})
	n.events.queue, n.events.members, n.events.role = n.queue, n.members, n.role
	n.peerSrv = n.newPeerServer()
	if err := n.buildClientServers(); err != nil {
		return err
	}
	if err := n.buildMetrics(); err != nil {
		return err
	}
	return n.buildControl()
}

// buildRelaying opens the relay role, if the node runs one, and the
// membership of the user's relays, which signs the node's relay record so
// that every envelope the queue seals carries it.
func (n *Node) buildRelaying() error {
	if n.cfg.Relay != nil {
		role, err := relayrole.Open(relayrole.Options{
			Database:       n.cfg.Database,
			Store:          *n.cfg.Relay,
			Key:            n.key,
			Dialer:         n.dialer,
			Reach:          n.cfg.ReachTimeout,
			Book:           n.book,
			ExpireInterval: n.cfg.ExpireInterval,
			Holding:        n.events.mailWaits,
			Logger:         n.log.With("component", "relay"),
		})
		if err != nil {
			return fmt.Errorf("start relay: %w", err)
		}
		n.role = role
	}
	n.recv = &receiver{local: n.addr, key: n.key, store: n.store, book: n.book, receipts: n.receipts, observer: n.cfg.Observer, log: n.log}
	members, err := membership.New(membership.Options{
		Key:      n.key,
		Relays:   n.cfg.Relays,
		Dialer:   n.dialer,
		Reach:    n.cfg.ReachTimeout,
		Receiver: n.recv,
		Records:  recordSource{n},
		MaxSize:  n.maxEnvelope(),
		Changed:  func(int) { n.events.connectivity() },
		Logger:   n.log,
	})
	if err != nil {
		return err
	}
	n.members, n.recv.members = members, members
	return nil
}

// maxEnvelope is the largest envelope this node takes for its own INBOX:
// a message of MaxMessageSize sealed with the largest relay record.
func (n *Node) maxEnvelope() int64 {
	return envelope.SealedSizeWith(n.cfg.MaxMessageSize, relay.MaxRecordSize)
}

// newPeerServer returns the server of the node-to-node protocol: mail for
// the user and, on a relay, deposits and hand-overs.
func (n *Node) newPeerServer() *peer.Server {
	srv := &peer.Server{
		Local:    n.addr,
		Receiver: n.recv,
		Records:  recordSource{n},
		MaxSize:  n.maxEnvelope(),
		Logger:   n.log.With("component", "peer"),
	}
	if n.role != nil {
		srv.Relay = n.relayService()
		srv.MaxSize = max(srv.MaxSize, n.role.MaxEnvelope())
	}
	return srv
}

// buildClientServers binds the SMTP and IMAP listeners for the user's mail
// clients: the plain ones (with STARTTLS), and those with TLS from the
// first byte when configured.
func (n *Node) buildClientServers() error {
	policy := clientsec.Policy{AllowPlain: n.cfg.AllowPlainAuth}
	// One guard for both protocols: a guesser gains nothing by switching.
	guard := loginguard.New(loginguard.Options{Logger: n.log.With("component", "login-guard")})
	var err error
	if n.smtpLn, err = net.Listen("tcp", n.cfg.SMTPAddr); err != nil {
		return fmt.Errorf("listen for SMTP on %s: %w", n.cfg.SMTPAddr, err)
	}
	if n.cfg.SubmissionsAddr != "" {
		if n.smtpsLn, err = net.Listen("tcp", n.cfg.SubmissionsAddr); err != nil {
			return fmt.Errorf("listen for SMTP submissions on %s: %w", n.cfg.SubmissionsAddr, err)
		}
	}
	n.smtpSrv = smtpd.New(smtpd.Options{
		Local:          n.addr,
		Authenticate:   n.metrics.CountAuthFailures(metrics.SMTP, n.auth.check),
		Submitter:      n.submissions(),
		MaxMessageSize: n.cfg.MaxMessageSize,
		Logger:         n.log.With("component", "smtp"),
		TLSConfig:      n.tls.Config(),
		Policy:         policy,
		Guard:          guard,
	})
	if n.imapLn, err = net.Listen("tcp", n.cfg.IMAPAddr); err != nil {
		return fmt.Errorf("listen for IMAP on %s: %w", n.cfg.IMAPAddr, err)
	}
	if n.cfg.IMAPSAddr != "" {
		if n.imapsLn, err = net.Listen("tcp", n.cfg.IMAPSAddr); err != nil {
			return fmt.Errorf("listen for IMAPS on %s: %w", n.cfg.IMAPSAddr, err)
		}
	}
	n.smtpLn, n.smtpsLn = n.metrics.CountSessions(metrics.SMTP, n.smtpLn), n.metrics.CountSessions(metrics.SMTP, n.smtpsLn)
	n.imapLn, n.imapsLn = n.metrics.CountSessions(metrics.IMAP, n.imapLn), n.metrics.CountSessions(metrics.IMAP, n.imapsLn)
	n.imapSrv = imapd.New(imapd.Options{
		Store:         n.store,
		Authenticate:  n.metrics.CountAuthFailures(metrics.IMAP, n.auth.check),
		Logger:        n.log.With("component", "imap"),
		MaxAppendSize: n.cfg.MaxMessageSize,
		TLSConfig:     n.tls.Config(),
		Policy:        policy,
		Guard:         guard,
	})
	n.warnIfExposed(policy)
	return nil
}

// warnIfExposed says so in the log when a client listener takes
// connections from other machines, and what protects the password there.
func (n *Node) warnIfExposed(policy clientsec.Policy) {
	for _, ln := range []net.Listener{n.smtpLn, n.imapLn} {
		if ln == nil || clientsec.Loopback(ln.Addr()) {
			continue
		}
		if policy.AllowPlain {
			n.log.Warn("listening beyond loopback with -allow-plain-auth: passwords may cross the network without TLS", "addr", ln.Addr().String())
		} else {
			n.log.Info("listening beyond loopback: clients there must use TLS (STARTTLS) before they log in", "addr", ln.Addr().String())
		}
	}
}

// serve starts every goroutine of a running node; docs/architecture.md
// lists them.
func (n *Node) serve(ctx context.Context, goServe goFunc) {
	if n.role != nil {
		goServe("relay", func() error { n.role.Run(ctx); return nil })
	}
	goServe("membership", func() error { n.members.Run(ctx); return nil })
	goServe("outbox", func() error { return n.queue.Run(ctx) })
	goServe("store-gc", func() error {
		periodic.Every(ctx, gcInterval, func() {
			if err := n.store.CollectGarbage(); err != nil {
				n.log.Warn("reclaim disk space", "err", err)
			}
		})
		return nil
	})
	goServe("reachability", func() error { n.events.follow(ctx); return nil })
	goServe("prober", func() error { n.events.runProber(ctx); return nil })
	goServe("announcer", func() error { n.greeter.run(ctx); return nil })
	goServe("receipts", func() error { n.receipts.run(ctx); return nil })
	goServe("peer", func() error { return n.acceptStreams(ctx) })
	goServe("smtp", func() error { return n.smtpSrv.Serve(n.smtpLn) })
	goServe("imap", func() error { return n.imapSrv.Serve(n.imapLn) })
	if n.smtpsLn != nil {
		goServe("submissions", func() error { return n.smtpSrv.ServeTLS(n.smtpsLn) })
	}
	if n.imapsLn != nil {
		goServe("imaps", func() error { return n.imapSrv.ServeTLS(n.imapsLn) })
	}
	if n.ctl != nil {
		goServe("control", func() error { return n.ctl.Serve(ctx) })
	}
	if n.metricsSrv != nil {
		goServe("metrics", n.metricsSrv.Serve)
	}
	goServe("tls-renewal", func() error {
		periodic.Every(ctx, tlsRenewal, func() { _ = n.ReloadTLS() }) // ReloadTLS logs
		return nil
	})
	n.greeter.Kick() // we may have been offline: tell recent correspondents
}

// stopServing closes the client servers, their listeners and the mesh,
// which ends every serve loop and stream. It closes only what build made.
func (n *Node) stopServing() {
	if n.imapSrv != nil {
		n.imapSrv.Close()
	}
	if n.smtpSrv != nil {
		n.smtpSrv.Close()
	}
	for _, ln := range []net.Listener{n.imapLn, n.imapsLn, n.smtpLn, n.smtpsLn} {
		if ln != nil {
			ln.Close() // in case Serve had not taken it yet
		}
	}
	if n.mesh != nil {
		n.mesh.Close()
	}
	if n.ctl != nil {
		n.ctl.Close()
	}
	if n.metricsSrv != nil {
		n.metricsSrv.Close()
	}
}

// release closes the relay store, once no goroutine uses it.
func (n *Node) release() {
	if n.role != nil {
		n.role.Close()
	}
}

// acceptStreams serves every stream another node opens until the mesh
// closes, and returns once every session has ended.
func (n *Node) acceptStreams(ctx context.Context) error {
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		conn, key, err := n.mesh.Accept()
		if errors.Is(err, transport.ErrClosed) || ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("accept stream: %w", err)
		}
		from, err := envelope.AddressFromKey(key)
		if err != nil {
			conn.Close()
			continue
		}
		n.events.reached(from)
		conns.Go(func() { n.peerSrv.ServeConn(ctx, conn, from) })
	}
}

package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/imapd"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/node/smtpd"
	"github.com/yggpost/yggpost/node/transport"
	"github.com/yggpost/yggpost/relay"
)

// probeInterval is how often the node asks the mesh for a path to each
// recipient it holds mail for. A lookup is one small packet; when the path
// appears the mesh reports it and the queue delivers at once.
const probeInterval = 2 * time.Second

// goFunc runs a component's serve loop on a goroutine owned by Run.
type goFunc func(name string, serve func() error)

func (n *Node) startMesh(ctx context.Context, goServe goFunc) (func(), error) {
	mesh, err := transport.New(transport.Config{
		PrivateKey:      n.key,
		Peers:           n.cfg.Peers,
		Listen:          n.cfg.Listen,
		Multicast:       n.cfg.Multicast,
		MulticastRegexp: n.cfg.MulticastRegexp,
		Logger:          n.log,
	})
	if err != nil {
		return nil, fmt.Errorf("start mesh: %w", err)
	}
	n.mu.Lock()
	n.mesh, n.meshAddr = mesh, mesh.ListenAddrs()
	n.mu.Unlock()
	return func() { mesh.Close() }, nil
}

func (n *Node) startQueue(ctx context.Context, goServe goFunc) (func(), error) {
	q := outbox.New(outbox.Options{
		Store:       n.store,
		Deliver:     n.deliver,
		Bounce:      n.bounce,
		Notify:      n.notifyDelay,
		GiveUp:      n.cfg.GiveUp,
		NotifyAfter: n.cfg.NotifyAfter,
		Logger:      n.log.With("component", "outbox"),
	})
	n.mu.Lock()
	n.queue = q
	n.mu.Unlock()
	goServe("outbox", func() error { return q.Run(ctx) })
	goServe("store-gc", func() error { every(ctx, gcInterval, n.collectGarbage); return nil })
	goServe("reachability", func() error { n.forwardReachability(ctx, q); return nil })
	goServe("prober", func() error { every(ctx, probeInterval, n.probePending); return nil })
	goServe("announcer", func() error { n.announcer(ctx, n.announceKick); return nil })
	goServe("receipts", func() error { n.runReceipts(ctx); return nil })
	n.kickAnnounce() // we may have been offline: tell recent correspondents
	return func() {}, nil
}

// forwardReachability turns mesh events into immediate retries.
func (n *Node) forwardReachability(ctx context.Context, q *outbox.Queue) {
	for {
		select {
		case <-ctx.Done():
			return
		case key, ok := <-n.mesh.Reachable():
			if !ok {
				return
			}
			if key == nil {
				n.book.AllReachable()
				q.RetryAll()
				n.kickAnnounce()
				n.kickMembers()
				n.kickForwarder()
				continue
			}
			if a, err := envelope.AddressFromKey(key); err == nil {
				n.book.Reachable(a)
				q.Retry(a)
				if n.isMyRelay(a) {
					n.kickMembers()
				}
				if n.relay != nil {
					n.kickForwarder()
				}
			}
		}
	}
}

// gcInterval is how often the store reclaims space of deleted messages.
const gcInterval = time.Hour

// every calls fn each interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func (n *Node) collectGarbage() {
	if err := n.store.CollectGarbage(); err != nil {
		n.log.Warn("reclaim disk space", "err", err)
	}
}

// probePending asks the mesh for paths to recipients with queued mail,
// and on a relay to recipients of envelopes held for forwarding.
func (n *Node) probePending() {
	seen := map[[32]byte]bool{}
	probe := func(a [32]byte) {
		if !seen[a] && len(seen) < 1024 {
			seen[a] = true
			n.mesh.Probe(ed25519.PublicKey(a[:]))
		}
	}
	if rows, err := n.store.Outbox(); err == nil {
		for _, r := range rows {
			if r.Custody.IsZero() {
				probe(r.Recipient)
			}
		}
	}
	if n.relay != nil {
		if held, err := n.relay.Forwarding(); err == nil {
			for _, h := range held {
				probe(h.To)
			}
		}
	}
}

func (n *Node) startPeerServer(ctx context.Context, goServe goFunc) (func(), error) {
	srv := &peer.Server{
		Local:    n.addr,
		Receiver: receiver{n},
		Records:  recordSource{n},
		MaxSize:  envelope.SealedSizeWith(n.cfg.MaxMessageSize, relay.MaxRecordSize),
		Logger:   n.log.With("component", "peer"),
	}
	if n.relay != nil {
		srv.Relay = relayService{n: n, r: n.relay}
		if n.cfg.Relay.MaxEnvelope > srv.MaxSize {
			srv.MaxSize = n.cfg.Relay.MaxEnvelope
		}
	}
	var conns sync.WaitGroup
	goServe("peer", func() error {
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
			n.book.Reachable(from)
			n.retry(from) // a node that reaches us can probably be reached
			if n.relay != nil {
				n.kickForwarder()
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				srv.ServeConn(ctx, conn, from)
			}()
		}
	})
	return func() {}, nil
}

// startMembership signs the node's relay record and keeps hand-over
// sessions with its relays.
func (n *Node) startMembership(ctx context.Context, goServe goFunc) (func(), error) {
	if len(n.cfg.Relays) == 0 {
		return func() {}, nil
	}
	if err := n.signRecord(); err != nil {
		return nil, err
	}
	goServe("relay-record", func() error {
		every(ctx, recordRenewal, func() {
			if err := n.signRecord(); err != nil {
				n.log.Error("renew relay record", "err", err)
			}
		})
		return nil
	})
	goServe("membership", func() error { n.runMembership(ctx); return nil })
	goServe("relay-drops", func() error { n.drops.run(ctx, n); return nil })
	return func() {}, nil
}

// recordRenewal is how often the node signs a new relay record.
const recordRenewal = 24 * time.Hour

func (n *Node) startSMTP(ctx context.Context, goServe goFunc) (func(), error) {
	ln, err := net.Listen("tcp", n.cfg.SMTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen for SMTP on %s: %w", n.cfg.SMTPAddr, err)
	}
	srv := smtpd.New(smtpd.Options{
		Local:          n.addr,
		Authenticate:   n.auth.check,
		Submitter:      submitter{n},
		MaxMessageSize: n.cfg.MaxMessageSize,
		Logger:         n.log.With("component", "smtp"),
	})
	n.mu.Lock()
	n.smtpLn = ln
	n.mu.Unlock()
	goServe("smtp", func() error { return srv.Serve(ln) })
	return func() { srv.Close() }, nil
}

func (n *Node) startIMAP(ctx context.Context, goServe goFunc) (func(), error) {
	ln, err := net.Listen("tcp", n.cfg.IMAPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen for IMAP on %s: %w", n.cfg.IMAPAddr, err)
	}
	srv := imapd.New(imapd.Options{
		Store:         n.store,
		Authenticate:  n.auth.check,
		Logger:        n.log.With("component", "imap"),
		MaxAppendSize: n.cfg.MaxMessageSize,
	})
	n.mu.Lock()
	n.imapLn = ln
	n.mu.Unlock()
	goServe("imap", func() error { return srv.Serve(ln) })
	return func() { srv.Close() }, nil
}

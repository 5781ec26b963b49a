package node

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/relay"
)

// Membership: a node with relays keeps one hand-over session open with each
// (docs/protocol.md section 10). A session registers (signed with the
// node's key), publishes the node's relay record, and turns around with
// ATRN: the relay then delivers everything it holds and, while the session
// lasts, each new envelope as it arrives. When a session ends the node
// opens another after a backoff, or at once when the mesh reports a new
// path or link.
const (
	membershipMinBackoff = time.Second
	membershipMaxBackoff = time.Minute
	// setupTimeout bounds the greeting and the commands before the turn
	// (reaching the relay is bounded by Config.ReachTimeout); the turned
	// session itself runs until either side ends it.
	setupTimeout = 10 * time.Second
)

// member runs the hand-over sessions with one relay until ctx ends.
type member struct {
	n     *Node
	relay RelayRef
	kick  chan struct{}
}

// runMembership keeps sessions with every configured relay.
func (n *Node) runMembership(ctx context.Context) {
	var wg sync.WaitGroup
	for _, m := range n.members {
		wg.Add(1)
		go func() { defer wg.Done(); m.run(ctx) }()
	}
	wg.Wait()
}

// kickMembers asks every relay session that is waiting to reconnect now.
func (n *Node) kickMembers() {
	for _, m := range n.members {
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
}

func (m *member) run(ctx context.Context) {
	log := m.n.log.With("relay", m.relay.Address.String())
	backoff := membershipMinBackoff
	for ctx.Err() == nil {
		start := time.Now()
		err := m.session(ctx)
		if ctx.Err() != nil {
			return
		}
		log.Info("relay session ended", "err", err, "lasted", time.Since(start).Round(time.Millisecond))
		if time.Since(start) > membershipMaxBackoff {
			backoff = membershipMinBackoff // it was a working session
		}
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
		case <-time.After(outbox.Backoff(1, backoff)):
		}
		backoff = min(2*backoff, membershipMaxBackoff)
	}
}

// session runs one hand-over session: set-up, then the turned session in
// which this node serves the relay's deliveries.
func (m *member) session(ctx context.Context) error {
	n, ra := m.n, m.relay.Address
	sc, err := n.openSession(ctx, ra, n.cfg.ReachTimeout)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	turned, err := m.setUp(sctx, sc)
	if err != nil {
		sc.Close()
		return err
	}
	srv := &peer.Server{
		Local:    n.addr,
		Receiver: receiver{n},
		Records:  recordSource{n},
		MaxSize:  envelope.SealedSizeWith(n.cfg.MaxMessageSize, relay.MaxRecordSize),
		Logger:   n.log.With("component", "hand-over", "relay", ra.String()),
	}
	n.log.Info("relay session open", "relay", ra.String())
	return srv.ServeConn(ctx, turned, ra)
}

// setUp registers, publishes the record and turns the session around.
func (m *member) setUp(ctx context.Context, sc *peer.ClientConn) (net.Conn, error) {
	n, ra := m.n, m.relay.Address
	if !sc.Relay() {
		return nil, fmt.Errorf("%s does not offer the relay role (no YGGPOST-RELAY in its EHLO)", ra)
	}
	reg, err := relay.NewRegistration(n.key, ra, time.Now(), m.relay.Invite)
	if err != nil {
		return nil, fmt.Errorf("sign registration: %w", err)
	}
	wire, err := reg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("sign registration: %w", err)
	}
	if err := sc.Register(ctx, wire); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	if rec := n.record.get(); rec != nil {
		if err := sc.Publish(ctx, rec); err != nil {
			return nil, fmt.Errorf("publish relay record: %w", err)
		}
	}
	turned, err := sc.TurnAround(ctx, n.key)
	if err != nil {
		return nil, fmt.Errorf("turn the session around: %w", err)
	}
	return turned, nil
}

// isMyRelay reports whether a is one of the configured relays.
func (n *Node) isMyRelay(a envelope.Address) bool {
	for _, r := range n.cfg.Relays {
		if r.Address == a {
			return true
		}
	}
	return false
}

// relayed notes that envelope id from sender arrived through from: if from
// is one of this node's relays, the others are told to drop their copies.
func (n *Node) relayed(from, sender envelope.Address, id envelope.ID) {
	if from == sender || !n.isMyRelay(from) || len(n.cfg.Relays) < 2 {
		return
	}
	n.drops.add(from, id)
}

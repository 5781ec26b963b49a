package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/relay"
)

// The relay role (Config.Relay): the node holds sealed envelopes for its
// members and hands them over when they connect; with Forward on it also
// holds what its members send to people who are offline and passes it on.
// The store is the relay/ package, in the "relay" directory inside the
// node's database directory.

// handOverKeepAlive is how often an idle hand-over session is checked with
// NOOP, so that a member that vanished is noticed and the stream stays
// open through idle timeouts.
const handOverKeepAlive = 30 * time.Second

// relayDir is where a node's relay store lives.
func relayDir(database string) string { return filepath.Join(database, "relay") }

func (n *Node) startRelay(ctx context.Context, goServe goFunc) (func(), error) {
	if n.cfg.Relay == nil {
		return func() {}, nil
	}
	opts := *n.cfg.Relay
	opts.Key = n.key
	if opts.Logger == nil {
		opts.Logger = n.log.With("component", "relay")
	}
	r, err := relay.Open(relayDir(n.cfg.Database), opts)
	if err != nil {
		return nil, fmt.Errorf("start relay: %w", err)
	}
	n.mu.Lock()
	n.relay = r
	n.mu.Unlock()
	goServe("relay-expiry", func() error { every(ctx, n.cfg.ExpireInterval, n.expireRelay); return nil })
	goServe("relay-gc", func() error { every(ctx, gcInterval, n.collectRelayGarbage); return nil })
	goServe("relay-forwarder", func() error { n.runForwarder(ctx); return nil })
	st := r.Status()
	n.log.Info("relay role on", "policy", opts.Policy.String(), "members", st.Members, "envelopes", st.Envelopes, "bytes", st.Bytes)
	return func() { r.Close() }, nil
}

// RelayStatus returns the relay's figures, and false if the node runs no
// relay.
func (n *Node) RelayStatus() (relay.Status, bool) {
	n.mu.Lock()
	r := n.relay
	n.mu.Unlock()
	if r == nil {
		return relay.Status{}, false
	}
	return r.Status(), true
}

func (n *Node) expireRelay() {
	gone, err := n.relay.Expire()
	if err != nil {
		n.log.Warn("expire relay envelopes", "err", err)
		return
	}
	if len(gone) > 0 {
		n.log.Info("relay envelopes expired", "count", len(gone))
	}
}

func (n *Node) collectRelayGarbage() {
	if err := n.relay.CollectGarbage(); err != nil {
		n.log.Warn("reclaim relay disk space", "err", err)
	}
}

// relayService is the relay role behind the peer server.
type relayService struct {
	n *Node
	r *relay.Relay
}

func (s relayService) Admit(from, rcpt envelope.Address) error {
	member, err := s.r.IsMember(rcpt)
	if err != nil {
		return &peer.Error{Code: 451, Enhanced: "4.3.0", Message: "relay store unavailable, try again later"}
	}
	if member {
		return nil
	}
	if s.n.cfg.Relay.Forward {
		if ok, err := s.r.IsMember(from); err == nil && ok {
			return nil
		}
	}
	return &peer.Error{Code: 550, Enhanced: "5.1.1", Message: "recipient is not a member of this relay"}
}

func (s relayService) Deposit(ctx context.Context, from, rcpt envelope.Address, size int64, body io.Reader) ([]byte, error) {
	receipt, err := s.r.Deposit(from, size, body)
	if err != nil {
		return nil, relayRefusal(err)
	}
	s.n.log.Info("deposit taken into custody", "to", rcpt.String(), "id", receipt.ID.String(), "size", size)
	return receipt.MarshalBinary()
}

func (s relayService) Register(ctx context.Context, from envelope.Address, wire []byte) error {
	var g relay.Registration
	if err := g.UnmarshalBinary(wire); err != nil {
		return &peer.Error{Code: 501, Enhanced: "5.5.4", Message: err.Error()}
	}
	if g.Member != from {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: "the registration is not signed by the connecting node's key"}
	}
	if err := s.r.Register(g); err != nil {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: err.Error()}
	}
	return nil
}

func (s relayService) Publish(ctx context.Context, from envelope.Address, wire []byte) error {
	var rec relay.Record
	if err := rec.UnmarshalBinary(wire); err != nil {
		return &peer.Error{Code: 501, Enhanced: "5.5.4", Message: err.Error()}
	}
	if rec.Member != from {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: "the relay record is not the connecting node's"}
	}
	if err := s.r.Publish(rec); err != nil {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: err.Error()}
	}
	return nil
}

func (s relayService) Drop(ctx context.Context, from envelope.Address, ids []envelope.ID) error {
	if err := s.r.Drop(from, ids...); err != nil {
		return &peer.Error{Code: 451, Enhanced: "4.3.0", Message: err.Error()}
	}
	return nil
}

// relayRefusal turns a relay store error into the reply a depositor gets.
func relayRefusal(err error) error {
	switch {
	case errors.Is(err, relay.ErrNotMember):
		return &peer.Error{Code: 550, Enhanced: "5.1.1", Message: err.Error()}
	case errors.Is(err, relay.ErrQuotaBytes), errors.Is(err, relay.ErrQuotaCount):
		return &peer.Error{Code: 452, Enhanced: "4.2.2", Message: "the recipient's storage at this relay is full: " + err.Error()}
	case errors.Is(err, relay.ErrForwardBytes), errors.Is(err, relay.ErrForwardCount):
		return &peer.Error{Code: 452, Enhanced: "4.3.1", Message: "this relay holds as much for forwarding as it may: " + err.Error()}
	case errors.Is(err, relay.ErrTooLarge):
		return &peer.Error{Code: 552, Enhanced: "5.3.4", Message: err.Error()}
	case errors.Is(err, relay.ErrRateLimited):
		return &peer.Error{Code: 450, Enhanced: "4.7.1", Message: err.Error()}
	case errors.Is(err, relay.ErrBusy):
		return &peer.Error{Code: 451, Enhanced: "4.3.2", Message: err.Error()}
	case errors.Is(err, relay.ErrMalformed):
		return &peer.Error{Code: 554, Enhanced: "5.6.0", Message: err.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return err // the stream broke; nothing is acknowledged
	}
	return &peer.Error{Code: 451, Enhanced: "4.3.0", Message: "relay store error, try again later"}
}

// HandOver delivers everything held for member on the turned session, then
// each new envelope as it is deposited, until the session ends. An
// envelope is deleted only when the member acknowledged it.
func (s relayService) HandOver(ctx context.Context, member envelope.Address, conn net.Conn) error {
	client := peer.Client{Local: s.n.addr, Timeouts: peer.Timeouts{Greeting: greetingTimeout}}
	sc, err := client.Open(ctx, conn)
	if err != nil {
		return fmt.Errorf("hand over to %s: %w", member, err)
	}
	defer sc.Close()
	watch, stop, err := s.r.Watch(member)
	if err != nil {
		sc.Quit(ctx)
		return fmt.Errorf("hand over to %s: %w", member, err)
	}
	defer func() { stop() }()
	keepAlive := time.NewTicker(handOverKeepAlive)
	defer keepAlive.Stop()
	for {
		if err := s.handOverPending(ctx, sc, member); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			sc.Quit(context.Background())
			return nil
		case _, ok := <-watch:
			if !ok { // fell behind or the relay closes: watch again
				stop()
				if watch, stop, err = s.r.Watch(member); err != nil {
					sc.Quit(ctx)
					return fmt.Errorf("hand over to %s: %w", member, err)
				}
			}
		case <-keepAlive.C:
			if err := sc.Noop(ctx); err != nil {
				return fmt.Errorf("hand over to %s: keep-alive: %w", member, err)
			}
		}
	}
}

// handOverPending delivers every envelope held for member, oldest first.
func (s relayService) handOverPending(ctx context.Context, sc *peer.ClientConn, member envelope.Address) error {
	pending, err := s.r.Pending(member)
	if err != nil {
		return fmt.Errorf("hand over to %s: %w", member, err)
	}
	for _, h := range pending {
		if err := s.handOverOne(ctx, sc, member, h); err != nil {
			return err
		}
	}
	return nil
}

func (s relayService) handOverOne(ctx context.Context, sc *peer.ClientConn, member envelope.Address, h relay.Held) error {
	body, size, err := s.r.Open(member, h.ID)
	if errors.Is(err, relay.ErrNotHeld) {
		return nil // acked or dropped meanwhile
	}
	if err != nil {
		return fmt.Errorf("hand over %s: %w", h.ID, err)
	}
	err = sc.Send(ctx, member, size, body)
	body.Close()
	var refused *peer.Error
	switch {
	case err == nil:
		if err := s.r.Ack(member, h.ID); err != nil && !errors.Is(err, relay.ErrNotHeld) {
			return fmt.Errorf("hand over %s: ack: %w", h.ID, err)
		}
		return nil
	case errors.As(err, &refused) && !refused.Temporary():
		// The member's node will never take it (a broken or forged
		// envelope); holding it would block the queue behind it.
		s.n.log.Warn("member refused an envelope; dropped", "member", member.String(), "id", h.ID.String(), "err", err)
		return s.r.Drop(member, h.ID)
	}
	return fmt.Errorf("hand over %s: %w", h.ID, err)
}

// NewRelayInvites creates count single-use invite tokens in the relay
// store of a node that is not running (the store is locked while it runs).
func (n *Node) NewRelayInvites(count int) ([]string, error) {
	opts := relay.Options{}
	if n.cfg.Relay != nil {
		opts = *n.cfg.Relay
	}
	opts.Key = n.key
	r, err := relay.Open(relayDir(n.cfg.Database), opts)
	if err != nil {
		return nil, fmt.Errorf("open the relay store (stop the running relay first): %w", err)
	}
	defer r.Close()
	tokens := make([]string, 0, count)
	for range count {
		t, err := r.NewInvite()
		if err != nil {
			return tokens, fmt.Errorf("create invite: %w", err)
		}
		tokens = append(tokens, t)
	}
	return tokens, nil
}

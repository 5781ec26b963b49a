package relayrole

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/relay"
)

// The Role is the relay behind the node's peer server (peer.RelayService):
// deposits, registration, records, DROP and the hand-over of a turned
// session.
var _ peer.RelayService = (*Role)(nil)

// handOverKeepAlive is how often an idle hand-over session is checked with
// NOOP, so that a member that vanished is noticed and the stream stays
// open through idle timeouts.
const handOverKeepAlive = 30 * time.Second

func (ro *Role) Admit(from, rcpt envelope.Address) error {
	member, err := ro.r.IsMember(rcpt)
	if err != nil {
		return &peer.Error{Code: 451, Enhanced: "4.3.0", Message: "relay store unavailable, try again later"}
	}
	if member {
		return nil
	}
	if ro.opts.Store.Forward {
		if ok, err := ro.r.IsMember(from); err == nil && ok {
			return nil
		}
	}
	return &peer.Error{Code: 550, Enhanced: "5.1.1", Message: "recipient is not a member of this relay"}
}

func (ro *Role) Deposit(ctx context.Context, from, rcpt envelope.Address, size int64, body io.Reader) ([]byte, error) {
	receipt, err := ro.r.Deposit(from, size, body)
	if err != nil {
		return nil, relayRefusal(err)
	}
	ro.log.Info("deposit taken into custody", "to", rcpt.String(), "id", receipt.ID.String(), "size", size)
	return receipt.MarshalBinary()
}

func (ro *Role) Register(ctx context.Context, from envelope.Address, wire []byte) error {
	var g relay.Registration
	if err := g.UnmarshalBinary(wire); err != nil {
		return &peer.Error{Code: 501, Enhanced: "5.5.4", Message: err.Error()}
	}
	if g.Member != from {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: "the registration is not signed by the connecting node's key"}
	}
	if err := ro.r.Register(g); err != nil {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: err.Error()}
	}
	return nil
}

func (ro *Role) Publish(ctx context.Context, from envelope.Address, wire []byte) error {
	var rec relay.Record
	if err := rec.UnmarshalBinary(wire); err != nil {
		return &peer.Error{Code: 501, Enhanced: "5.5.4", Message: err.Error()}
	}
	if rec.Member != from {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: "the relay record is not the connecting node's"}
	}
	if err := ro.r.Publish(rec); err != nil {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: err.Error()}
	}
	return nil
}

func (ro *Role) Drop(ctx context.Context, from envelope.Address, ids []envelope.ID) error {
	if err := ro.r.Drop(from, ids...); err != nil {
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
func (ro *Role) HandOver(ctx context.Context, member envelope.Address, conn net.Conn) error {
	sc, err := ro.opts.Dialer.Client.Open(ctx, conn)
	if err != nil {
		return fmt.Errorf("hand over to %s: %w", member, err)
	}
	defer sc.Close()
	watch, stop, err := ro.r.Watch(member)
	if err != nil {
		sc.Quit(ctx)
		return fmt.Errorf("hand over to %s: %w", member, err)
	}
	defer func() { stop() }()
	keepAlive := time.NewTicker(handOverKeepAlive)
	defer keepAlive.Stop()
	for {
		if err := ro.handOverPending(ctx, sc, member); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			sc.Quit(context.Background())
			return nil
		case _, ok := <-watch:
			if !ok { // fell behind or the relay closes: watch again
				stop()
				if watch, stop, err = ro.r.Watch(member); err != nil {
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
func (ro *Role) handOverPending(ctx context.Context, sc *peer.ClientConn, member envelope.Address) error {
	pending, err := ro.r.Pending(member)
	if err != nil {
		return fmt.Errorf("hand over to %s: %w", member, err)
	}
	for _, h := range pending {
		if err := ro.handOverOne(ctx, sc, member, h); err != nil {
			return err
		}
	}
	return nil
}

func (ro *Role) handOverOne(ctx context.Context, sc *peer.ClientConn, member envelope.Address, h relay.Held) error {
	body, size, err := ro.r.Open(member, h.ID)
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
		if err := ro.r.Ack(member, h.ID); err != nil && !errors.Is(err, relay.ErrNotHeld) {
			return fmt.Errorf("hand over %s: ack: %w", h.ID, err)
		}
		return nil
	case errors.As(err, &refused) && !refused.Temporary():
		// The member's node will never take it (a broken or forged
		// envelope); holding it would block the queue behind it.
		ro.log.Warn("member refused an envelope; dropped", "member", member.String(), "id", h.ID.String(), "err", err)
		return ro.r.Drop(member, h.ID)
	}
	return fmt.Errorf("hand over %s: %w", h.ID, err)
}

package relayrole

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/relay"
)

// handOverKeepAlive is how often an idle hand-over session is checked with
// NOOP, so that a member that vanished is noticed and the stream stays
// open through idle timeouts.
const handOverKeepAlive = 30 * time.Second

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

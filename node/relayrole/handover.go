package relayrole

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
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

// handOverWindow is how many envelopes a hand-over has unanswered at
// once: the member stores a window together, and its acknowledgements come
// back without a round trip per envelope.
const handOverWindow = 64

// handOverPending delivers every envelope held for member, oldest first,
// pipelined; the acknowledged ones are deleted in batches (acks).
func (ro *Role) handOverPending(ctx context.Context, sc *peer.ClientConn, member envelope.Address) error {
	pending, err := ro.r.Pending(member)
	if err != nil {
		return fmt.Errorf("hand over to %s: %w", member, err)
	}
	if len(pending) == 0 {
		return nil
	}
	acks := newAcks(ro, member)
	p := sc.Pipeline(ctx, handOverWindow)
	var sendErr error
	for _, h := range pending {
		if sendErr = ro.handOverOne(p, member, h, acks); sendErr != nil {
			break
		}
	}
	lost := p.Wait()
	ackErr := acks.close()
	switch {
	case sendErr != nil:
		return sendErr
	case lost != nil:
		return fmt.Errorf("hand over to %s: %w", member, lost)
	}
	return ackErr
}

// handOverOne queues one envelope on the pipeline; its outcome goes to
// acks.
func (ro *Role) handOverOne(p *peer.Pipeline, member envelope.Address, h relay.Held, acks *acks) error {
	body, size, err := ro.r.Open(member, h.ID)
	if errors.Is(err, relay.ErrNotHeld) {
		return nil // acked or dropped meanwhile
	}
	if err != nil {
		return fmt.Errorf("hand over %s: %w", h.ID, err)
	}
	defer body.Close()
	if err := p.Send(member, size, body, func(err error) { acks.outcome(h.ID, err) }); err != nil {
		return fmt.Errorf("hand over %s: %w", h.ID, err)
	}
	return nil
}

// acks deletes what the member acknowledged, a batch at a time: the
// outcomes arrive on the pipeline's goroutine, and a goroutine of its own
// deletes whatever has gathered since its last commit. An envelope is
// deleted only after the member's 250; one the member refuses for good (a
// broken or forged envelope it will never take) is dropped, since holding
// it would block the queue behind it; any other outcome leaves it held for
// the next hand-over.
type acks struct {
	ro     *Role
	member envelope.Address
	kick   chan struct{}
	done   chan struct{}

	mu      sync.Mutex
	stored  []envelope.ID
	refused []envelope.ID
	closed  bool
	err     error // the first failure to delete
}

func newAcks(ro *Role, member envelope.Address) *acks {
	a := &acks{ro: ro, member: member, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go a.run()
	return a
}

// outcome records the member's answer to one envelope.
func (a *acks) outcome(id envelope.ID, err error) {
	var refused *peer.Error
	a.mu.Lock()
	switch {
	case err == nil:
		a.stored = append(a.stored, id)
	case errors.As(err, &refused) && !refused.Temporary():
		a.ro.log.Warn("member refused an envelope; dropped", "member", a.member.String(), "id", id.String(), "err", err)
		a.refused = append(a.refused, id)
	}
	a.mu.Unlock()
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

func (a *acks) run() {
	defer close(a.done)
	for range a.kick {
		a.mu.Lock()
		stored, refused, closed := a.stored, a.refused, a.closed
		a.stored, a.refused = nil, nil
		a.mu.Unlock()
		if len(stored) > 0 {
			a.fail(a.ro.r.AckAll(a.member, stored))
		}
		if len(refused) > 0 {
			a.fail(a.ro.r.Drop(a.member, refused...))
		}
		if closed {
			return
		}
	}
}

func (a *acks) fail(err error) {
	if err == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err == nil {
		a.err = fmt.Errorf("hand over to %s: delete acknowledged envelopes: %w", a.member, err)
	}
}

// close deletes what is still gathered and returns the first failure.
func (a *acks) close() error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	select {
	case a.kick <- struct{}{}:
	default:
	}
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

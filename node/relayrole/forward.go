package relayrole

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/periodic"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/relay"
)

// Forwarding (a relay with Forward on): envelopes members deposited for
// people who are not members are passed on, to the recipient's node
// directly, or to the recipient's relays once its relay record is known
// (the forwarder asks the recipient's node for it whenever it reaches
// it). The relay deletes its copy only on the recipient's acknowledgement
// or another relay's custody receipt. The forwarder runs when a deposit
// arrives, when the mesh reports a path or link, and otherwise on each
// recipient's backoff schedule; with nothing held it sleeps until one of
// those events.
const forwardIdle = time.Minute // longest sleep with envelopes waiting

// forwardBackoff is the wait before a recipient is tried again after
// failures: the outbox's schedule.
var forwardBackoff = periodic.Backoff{Min: outbox.MinBackoff, Max: outbox.DefaultMaxBackoff}

// forwarder is the state of the forwarding loop, owned by its goroutine.
type forwarder struct {
	ro      *Role
	r       *relay.Relay
	backoff map[envelope.Address]time.Time
	fails   map[envelope.Address]int
}

// runForwarder passes on held envelopes until ctx ends.
func (ro *Role) runForwarder(ctx context.Context) {
	f := &forwarder{ro: ro, r: ro.r, backoff: map[envelope.Address]time.Time{},
		fails: map[envelope.Address]int{}}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.r.ForwardKick():
		case <-ro.kick:
			clear(f.backoff) // a path or link came up: try everyone
		case <-timer.C:
			periodic.Woke()
		}
		if wait := f.round(ctx); wait > 0 {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
	}
}

// round tries every recipient that is due and returns how long to sleep:
// 0 means until a deposit or a mesh event, as nothing is held.
func (f *forwarder) round(ctx context.Context) time.Duration {
	held, err := f.r.Forwarding()
	if err != nil {
		f.ro.log.Warn("list envelopes to forward", "err", err)
		return forwardIdle
	}
	if len(held) == 0 {
		return 0
	}
	if len(held) > 0 && f.ro.opts.Holding != nil {
		f.ro.opts.Holding()
	}
	byRcpt := map[envelope.Address][]relay.Held{}
	var order []envelope.Address
	for _, h := range held {
		if _, ok := byRcpt[h.To]; !ok {
			order = append(order, h.To)
		}
		byRcpt[h.To] = append(byRcpt[h.To], h)
	}
	wait := forwardIdle
	now := time.Now()
	for _, to := range order {
		if due := f.backoff[to]; due.After(now) {
			wait = min(wait, due.Sub(now))
			continue
		}
		if err := f.forwardAll(ctx, to, byRcpt[to]); err != nil {
			f.fails[to]++
			d := forwardBackoff.Wait(f.fails[to])
			f.backoff[to] = time.Now().Add(d)
			wait = min(wait, d)
			f.ro.log.Info("forwarding deferred", "to", to.String(), "retry_in", d, "err", err)
			continue
		}
		delete(f.fails, to)
		delete(f.backoff, to)
	}
	return wait
}

// forwardAll passes on every envelope held for to, in order: directly if
// its node answers, else to its relays.
func (f *forwarder) forwardAll(ctx context.Context, to envelope.Address, held []relay.Held) error {
	ro := f.ro
	sc, direct := ro.opts.Dialer.Open(ctx, to, ro.opts.Reach)
	if direct == nil && sc.Yggpost() {
		defer sc.Quit(ctx)
		ro.opts.Book.RefreshRecord(ctx, sc, to)
		for _, h := range held {
			if err := f.pass(ctx, h, func(size int64, body io.Reader) error { return sc.Send(ctx, to, size, body) }); err != nil {
				return err
			}
		}
		return nil
	}
	if sc != nil {
		sc.Quit(ctx) // a classic node cannot open a sealed envelope
		direct = fmt.Errorf("%s does not speak YGGPOST", to)
	}
	rec, ok := ro.opts.Book.Record(to)
	if !ok {
		return direct
	}
	for _, h := range held {
		if err := f.toRelays(ctx, rec.Relays, h); err != nil {
			return fmt.Errorf("%w; %w", direct, err)
		}
	}
	return nil
}

// toRelays deposits h at the first of relays that takes it.
func (f *forwarder) toRelays(ctx context.Context, relays []envelope.Address, h relay.Held) error {
	var errs []error
	for _, ra := range relays {
		if ra == f.ro.local {
			continue
		}
		sc, err := f.ro.opts.Dialer.Open(ctx, ra, f.ro.opts.Reach)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		err = f.pass(ctx, h, func(size int64, body io.Reader) error {
			wire, err := sc.Deposit(ctx, h.To, size, body)
			if err != nil {
				return err
			}
			_, err = relay.ReadCustodyReceipt(wire, ra, h.To, h.ID)
			return err
		})
		sc.Quit(ctx)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("relay %s: %w", ra, err))
	}
	return errors.Join(errs...)
}

// pass sends one held envelope with send and deletes it once taken. A
// permanent refusal drops it: the sender's custody receipt runs out and it
// bounces there.
func (f *forwarder) pass(ctx context.Context, h relay.Held, send func(size int64, body io.Reader) error) error {
	body, size, err := f.r.Open(h.To, h.ID)
	if errors.Is(err, relay.ErrNotHeld) {
		return nil
	}
	if err != nil {
		return err
	}
	err = send(size, body)
	body.Close()
	var refused *peer.Error
	switch {
	case err == nil:
		f.ro.log.Info("forwarded", "to", h.To.String(), "id", h.ID.String())
		return f.r.Ack(h.To, h.ID)
	case errors.As(err, &refused) && !refused.Temporary():
		f.ro.log.Warn("forwarding refused; dropped", "to", h.To.String(), "id", h.ID.String(), "err", err)
		return f.r.Drop(h.To, h.ID)
	}
	return err
}

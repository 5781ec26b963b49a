package membership

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/yggpost/yggpost/internal/periodic"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/relay"
)

// A session registers (signed with the node's key), publishes the node's
// relay record, and turns around with ATRN: the relay then delivers
// everything it holds and, while the session lasts, each new envelope as it
// arrives. When a session ends the member opens another after a backoff, or
// at once when kicked.
var membershipBackoff = periodic.Backoff{Min: time.Second, Max: time.Minute}

const (
	// setupTimeout bounds the greeting and the commands before the turn
	// (reaching the relay is bounded by Config.ReachTimeout); the turned
	// session itself runs until either side ends it.
	setupTimeout = 10 * time.Second
)

// member runs the hand-over sessions with one relay until ctx ends.
type member struct {
	m     *Membership
	relay Relay
	kick  chan struct{}
	up    atomic.Bool // a session is open
	// after is time.After; tests watch the waits between sessions.
	after func(time.Duration) <-chan time.Time
}

// run opens sessions one after another, waiting between them: 1 s after
// the first failure, doubling to 1 min; a session that lasted longer than
// that was a working one and starts the schedule again.
func (mb *member) run(ctx context.Context) {
	log := mb.m.log.With("relay", mb.relay.Address.String())
	failures := 0
	for ctx.Err() == nil {
		start := time.Now()
		err := mb.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > membershipBackoff.Max {
			failures = 0
		}
		failures++
		wait := membershipBackoff.Wait(failures)
		log.Info("relay session ended", "err", err, "lasted", time.Since(start).Round(time.Millisecond), "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-mb.kick:
		case <-mb.after(wait):
		}
	}
}

// session runs one hand-over session: set-up, then the turned session in
// which this node serves the relay's deliveries.
func (mb *member) session(ctx context.Context) error {
	m, ra := mb.m, mb.relay.Address
	sc, err := m.opts.Dialer.Open(ctx, ra, m.opts.Reach)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	turned, err := mb.setUp(sctx, sc)
	if err != nil {
		sc.Close()
		return err
	}
	srv := &peer.Server{
		Local:    m.opts.Dialer.Client.Local,
		Receiver: m.opts.Receiver,
		Records:  m.opts.Records,
		MaxSize:  m.opts.MaxSize,
		Logger:   m.log.With("component", "hand-over", "relay", ra.String()),
	}
	m.log.Info("relay session open", "relay", ra.String())
	mb.up.Store(true)
	m.sessionOpen(+1)
	defer m.sessionOpen(-1)
	defer mb.up.Store(false)
	return srv.ServeConn(ctx, turned, ra)
}

// setUp registers, publishes the record and turns the session around.
func (mb *member) setUp(ctx context.Context, sc *peer.ClientConn) (net.Conn, error) {
	m, ra := mb.m, mb.relay.Address
	if !sc.Relay() {
		return nil, fmt.Errorf("%s does not offer the relay role (no YGGPOST-RELAY in its EHLO)", ra)
	}
	reg, err := relay.NewRegistration(m.opts.Key, ra, time.Now(), mb.relay.Invite)
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
	if rec := m.Record(); rec != nil {
		if err := sc.Publish(ctx, rec); err != nil {
			return nil, fmt.Errorf("publish relay record: %w", err)
		}
	}
	turned, err := sc.TurnAround(ctx, m.opts.Key)
	if err != nil {
		return nil, fmt.Errorf("turn the session around: %w", err)
	}
	return turned, nil
}

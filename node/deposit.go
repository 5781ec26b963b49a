package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/relay"
)

// Deposits: when a direct delivery attempt cannot reach the recipient, the
// sealed envelope goes to relays that will hold it: the recipient's own
// relays (from its relay record) if any are known, otherwise this user's
// relays, which pass it on. Every relay is tried at once; one custody
// receipt is enough for the queue to stop trying, and the message is
// bounced if the recipient has not collected it when the last custody ends.

// custody is one relay's answer to a deposit.
type custody struct {
	relay   envelope.Address
	receipt relay.CustodyReceipt
	err     error
}

// relayTargets returns the relays to deposit an envelope for rcpt at, and
// whether they are this user's own (forwarding) relays.
func (c *courier) relayTargets(rcpt envelope.Address) ([]envelope.Address, bool) {
	if rec, ok := c.book.Record(rcpt); ok {
		return rec.Relays, false
	}
	return c.members.Relays(), true
}

// hasRelayFor reports whether there is any relay to deposit for rcpt at.
func (c *courier) hasRelayFor(rcpt envelope.Address) bool {
	targets, _ := c.relayTargets(rcpt)
	return len(targets) > 0
}

// depositAtRelays tries to put row it into relay custody after the direct
// attempt failed with direct. It returns outbox.InCustody on success, and
// otherwise an error carrying both the direct failure and the relays'.
func (c *courier) depositAtRelays(ctx context.Context, it mailbox.Outbound, direct error) error {
	rcpt := it.Recipient
	targets, forwarding := c.relayTargets(rcpt)
	if len(targets) == 0 {
		return direct
	}
	results := make([]custody, len(targets))
	var wg sync.WaitGroup
	var unwritten atomic.Int32 // deposits not yet on the wire
	unwritten.Store(int32(len(targets)))
	written := func() {
		if unwritten.Add(-1) == 0 {
			outbox.Sent(ctx) // the recipient's next message may follow
		}
	}
	for i, target := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, err := c.depositAt(ctx, target, it, sync.OnceFunc(written))
			results[i] = custody{relay: target, receipt: rc, err: err}
		}()
	}
	wg.Wait()
	var until time.Time
	var held []string
	var errs []error
	for _, c := range results {
		if c.err != nil {
			errs = append(errs, fmt.Errorf("relay %s: %w", c.relay.String(), c.err))
			continue
		}
		held = append(held, c.relay.String())
		if c.receipt.Expires.After(until) {
			until = c.receipt.Expires
		}
	}
	if len(held) == 0 {
		return fmt.Errorf("%w; no relay took it: %w", direct, errors.Join(errs...))
	}
	for _, err := range errs {
		c.log.Info("a relay did not take the envelope", "id", it.ID.String(), "err", err)
	}
	c.log.Info("deposited", "id", it.ID.String(), "to", rcpt.String(), "relays", held, "forwarding", forwarding, "until", until.UTC().Format(time.RFC3339))
	if c.isReceipt(it) {
		return nil // a receipt is done once a relay holds it
	}
	c.marks.markSent(it, KeywordRelayed)
	return outbox.InCustody(until, strings.Join(held, ", "))
}

// depositAt seals the queued message for its recipient and deposits it at
// relay target, returning the checked custody receipt. It calls written
// once the envelope is on the wire, or once the attempt failed before.
func (c *courier) depositAt(ctx context.Context, target envelope.Address, it mailbox.Outbound, written func()) (relay.CustodyReceipt, error) {
	defer written()
	var rc relay.CustodyReceipt
	rcpt := it.Recipient
	body, err := c.store.OpenOutbound(it.ID)
	if err != nil {
		return rc, fmt.Errorf("open queued message: %w", err)
	}
	defer body.Close()
	s, err := c.sessions.acquire(ctx, target, func(ctx context.Context) (*peer.ClientConn, error) {
		return c.dialer.Open(ctx, target, c.reach)
	})
	if err != nil {
		return rc, err
	}
	defer c.sessions.release(s, nil)
	if s.pipe == nil || !s.sc.Relay() {
		return rc, errors.New("it does not offer the relay role")
	}
	tctx, cancel := context.WithTimeout(ctx, transferFloor+time.Duration(it.Size/transferRate)*time.Second)
	defer cancel()
	wire, err := c.sealInto(func(size int64, sealed io.Reader) ([]byte, error) {
		return pipelined(tctx, func(done func([]byte, error)) error {
			defer written()
			return s.pipe.Deposit(rcpt, size, sealed, done)
		})
	}, it, body)
	if err != nil {
		if !errors.As(err, new(*peer.Error)) {
			c.sessions.markLost(s)
		}
		return rc, err
	}
	return relay.ReadCustodyReceipt(wire, target, rcpt, it.ID)
}

// sealInto seals message for row it, with this node's relay record, as
// send reads it; send gets the exact sealed size.
func (c *courier) sealInto(send func(size int64, sealed io.Reader) ([]byte, error), it mailbox.Outbound, message io.Reader) ([]byte, error) {
	rcpt := it.Recipient
	opts := envelope.SealOptions{Record: c.members.Record()}
	pr, pw := io.Pipe()
	sealed := make(chan struct{})
	go func() {
		defer close(sealed)
		_, err := envelope.SealWith(pw, c.key, rcpt, it.ID, it.Created, message, opts)
		pw.CloseWithError(err)
	}()
	out, err := send(envelope.SealedSizeWith(it.Size, len(opts.Record)), pr)
	pr.CloseWithError(errors.New("send finished")) // stops the sealer if send ended early
	<-sealed                                       // the sealer reads message, which the caller closes next
	return out, err
}

package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/membership"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/node/peerbook"
)

// Timing of one delivery attempt. Finding the recipient on the mesh is
// bounded by Config.ReachTimeout (a first contact after a link comes up
// takes about three seconds).
const (
	// transferFloor and transferRate bound the transfer itself: a floor
	// plus one second per megabyte at a pessimistic 1 MB/s.
	transferFloor = 30 * time.Second
	transferRate  = 1 << 20
	// greetingTimeout bounds the wait for the recipient's greeting on a
	// new stream; a live node answers in milliseconds, a stale connection
	// never.
	greetingTimeout = 5 * time.Second
)

// ErrDowngrade refuses to send in the clear to a peer whose node spoke
// YGGPOST before but no longer advertises it. It is temporary: the message
// waits, and bounces at the give-up time if that does not change.
var ErrDowngrade = errors.New("the recipient's node spoke YGGPOST before and no longer advertises it; not sending the message in the clear")

// courier carries queued messages to their recipients: to the
// recipient's own node when it answers, otherwise into the custody of
// relays (deposit.go). Its deliver is the queue's DeliverFunc; it is built
// with the other parts of a running node (wiring.go).
type courier struct {
	store     *mailbox.Store
	key       ed25519.PrivateKey
	book      *peerbook.Book
	dialer    *peer.Dialer
	members   *membership.Membership
	reach     time.Duration // bounds the search for a node on the mesh
	sessions  sessions      // one session per node, shared by the attempts at the same time
	marks     sentMarks
	isReceipt func(mailbox.Outbound) bool // the row holds a delivery receipt
	log       *slog.Logger
}

// deliver hands one queued message to the recipient's node: sealed, when that node speaks YGGPOST; as a plain message with
// DATA, when it is a classic (original Yggmail) node. It returns nil once
// the recipient acknowledged durable storage. When the recipient's node
// cannot be reached, the envelope goes to relays (depositAtRelays).
func (c *courier) deliver(ctx context.Context, it mailbox.Outbound, message io.Reader) error {
	rcpt := it.Recipient
	if c.book.RecentlyUnreachable(rcpt) && c.hasRelayFor(rcpt) {
		return c.depositAtRelays(ctx, it, fmt.Errorf("%s did not answer a moment ago", rcpt))
	}
	err := c.deliverDirect(ctx, it, message)
	var refused *peer.Error
	switch {
	case err == nil:
		c.marks.markDelivered(it)
		return nil
	case errors.As(err, &refused), errors.Is(err, ErrDowngrade), ctx.Err() != nil,
		c.book.Protocol(it.Recipient) == peerbook.Classic:
		return err // the recipient's node answered, or cannot use a relay
	}
	c.book.MarkUnreachable(rcpt)
	return c.depositAtRelays(ctx, it, err)
}

// deliverDirect is one attempt at the recipient's own node, on the
// session other attempts to it share (sessions.go).
func (c *courier) deliverDirect(ctx context.Context, it mailbox.Outbound, message io.Reader) error {
	rcpt := it.Recipient
	s, err := c.sessions.acquire(ctx, rcpt, func(ctx context.Context) (*peer.ClientConn, error) {
		return c.dialer.Open(ctx, rcpt, c.reach)
	})
	if err != nil {
		return err
	}
	defer c.sessions.release(s, func(ctx context.Context, sc *peer.ClientConn) {
		c.book.RefreshRecord(ctx, sc, rcpt)
	})
	tctx, cancel := context.WithTimeout(ctx, transferFloor+time.Duration(it.Size/transferRate)*time.Second)
	defer cancel()
	err = c.send(tctx, s, it, message)
	var refused *peer.Error
	switch {
	case err == nil:
		c.sessions.markDelivered(s)
		if err := c.book.Touch(rcpt); err != nil {
			c.log.Warn("remember correspondent", "err", err)
		}
		return nil
	case errors.As(err, &refused) || errors.Is(err, ErrDowngrade):
		if refused != nil && !refused.Temporary() {
			return outbox.Permanent(fmt.Errorf("%s refused the message: %w", rcpt, err))
		}
		return fmt.Errorf("deliver to %s: %w", rcpt, err)
	default:
		c.sessions.markLost(s)
		c.dialer.Mesh.ResetPeer(rcpt.Key())
		return fmt.Errorf("deliver to %s: %w", rcpt, err)
	}
}

// send picks the protocol from the recipient's EHLO reply. The reply comes
// over a stream the transport authenticated as the recipient's own key, so
// nobody in between can make a YGGPOST node look classic; and a node once
// seen speaking YGGPOST is never sent a message in the clear.
func (c *courier) send(ctx context.Context, s *shared, it mailbox.Outbound, message io.Reader) error {
	rcpt := it.Recipient
	if s.pipe != nil {
		c.book.LearnProtocol(rcpt, peerbook.Yggpost)
		_, err := c.sealInto(func(size int64, sealed io.Reader) ([]byte, error) {
			return pipelined(ctx, func(done func([]byte, error)) error {
				defer outbox.Sent(ctx) // written: the recipient's next message may follow
				return s.pipe.Send(rcpt, size, sealed, func(err error) { done(nil, err) })
			})
		}, it, message)
		return err
	}
	if !c.book.LearnProtocol(rcpt, peerbook.Classic) {
		return ErrDowngrade
	}
	s.classic.Lock()
	defer s.classic.Unlock()
	return s.sc.SendMessage(ctx, rcpt, it.Size, message)
}

// pipelined queues one transaction with queue and waits for its outcome,
// or for ctx (the envelope's outcome is then unknown).
func pipelined[T any](ctx context.Context, queue func(done func(T, error)) error) (T, error) {
	type outcome struct {
		v   T
		err error
	}
	result := make(chan outcome, 1)
	var zero T
	if err := queue(func(v T, err error) { result <- outcome{v, err} }); err != nil {
		return zero, err
	}
	select {
	case o := <-result:
		return o.v, o.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

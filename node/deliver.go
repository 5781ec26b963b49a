package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/peer"
)

// Timing of one delivery attempt.
const (
	// dialTimeout bounds finding the recipient on the mesh; a first
	// contact after a link comes up takes about three seconds.
	dialTimeout = 15 * time.Second
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

// deliver hands one queued message to the recipient's node over a fresh
// stream: sealed, when that node speaks YGGPOST; as a plain message with
// DATA, when it is a classic (original Yggmail) node. It returns nil once
// the recipient acknowledged durable storage.
func (n *Node) deliver(ctx context.Context, it mailbox.Outbound, message io.Reader) error {
	rcpt := envelope.Address(it.Recipient)
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	conn, err := n.mesh.Dial(dctx, rcpt.Key())
	cancel()
	if err != nil {
		return fmt.Errorf("reach %s: %w", rcpt, err)
	}
	tctx, cancel := context.WithTimeout(ctx, transferFloor+time.Duration(it.Size/transferRate)*time.Second)
	defer cancel()
	client := peer.Client{Local: n.addr, Timeouts: peer.Timeouts{Greeting: greetingTimeout}}
	sc, err := client.Open(tctx, conn)
	if err != nil {
		conn.Close()
		n.mesh.ResetPeer(rcpt.Key()) // the connection may be stale: the peer restarted
		return fmt.Errorf("deliver to %s: %w", rcpt, err)
	}
	err = n.send(tctx, sc, it, message)
	var refused *peer.Error
	switch {
	case err == nil:
		sc.Quit(tctx) // acknowledged; QUIT cannot change that
		if err := n.contacts.touch(rcpt, n.addr); err != nil {
			n.log.Warn("remember correspondent", "err", err)
		}
		return nil
	case errors.As(err, &refused) || errors.Is(err, ErrDowngrade):
		sc.Quit(tctx)
		if refused != nil && !refused.Temporary() {
			return outbox.Permanent(fmt.Errorf("%s refused the message: %w", rcpt, err))
		}
		return fmt.Errorf("deliver to %s: %w", rcpt, err)
	default:
		sc.Close()
		n.mesh.ResetPeer(rcpt.Key())
		return fmt.Errorf("deliver to %s: %w", rcpt, err)
	}
}

// send picks the protocol from the recipient's EHLO reply. The reply comes
// over a stream the transport authenticated as the recipient's own key, so
// nobody in between can make a YGGPOST node look classic; and a node once
// seen speaking YGGPOST is never sent a message in the clear.
func (n *Node) send(ctx context.Context, sc *peer.ClientConn, it mailbox.Outbound, message io.Reader) error {
	rcpt := envelope.Address(it.Recipient)
	if sc.Yggpost() {
		n.protocols.learn(rcpt, protocolYggpost)
		return n.sendSealed(ctx, sc, it, message)
	}
	if !n.protocols.learn(rcpt, protocolClassic) {
		return ErrDowngrade
	}
	return sc.SendMessage(ctx, rcpt, it.Size, message)
}

// sendSealed seals the message for its recipient as it streams out. The
// envelope id is the queue row's, so a retry that reaches a node which
// already stored the message is recognised as a duplicate.
func (n *Node) sendSealed(ctx context.Context, sc *peer.ClientConn, it mailbox.Outbound, message io.Reader) error {
	rcpt := envelope.Address(it.Recipient)
	pr, pw := io.Pipe()
	sealed := make(chan struct{})
	go func() {
		defer close(sealed)
		_, err := envelope.Seal(pw, n.key, rcpt, envelope.ID(it.ID), it.Created, message)
		pw.CloseWithError(err)
	}()
	err := sc.Send(ctx, rcpt, envelope.SealedSize(it.Size), pr)
	pr.CloseWithError(errors.New("send finished")) // stops the sealer if Send ended early
	<-sealed                                       // the sealer reads message, which the caller closes next
	return err
}

// retry tells the queue a recipient may be reachable now.
func (n *Node) retry(rcpt envelope.Address) {
	n.mu.Lock()
	q := n.queue
	n.mu.Unlock()
	if q != nil {
		q.Retry(rcpt)
	}
}

package node

import (
	"context"
	"crypto/ed25519"
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

// deliver hands one queued envelope to the recipient's node over a fresh
// stream and returns nil once that node acknowledged durable storage.
func (n *Node) deliver(ctx context.Context, it mailbox.Outbound, sealed io.Reader) error {
	rcpt := envelope.Address(it.Recipient)
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	conn, err := n.mesh.Dial(dctx, ed25519.PublicKey(rcpt[:]))
	cancel()
	if err != nil {
		return fmt.Errorf("reach %s: %w", rcpt, err)
	}
	defer conn.Close()
	tctx, cancel := context.WithTimeout(ctx, transferFloor+time.Duration(it.Size/transferRate)*time.Second)
	defer cancel()
	client := peer.Client{Local: n.addr, Timeouts: peer.Timeouts{Greeting: greetingTimeout}}
	err = client.Deliver(tctx, conn, rcpt, it.Size, sealed)
	var refused *peer.Error
	switch {
	case err == nil:
		if err := n.contacts.touch(rcpt, n.addr); err != nil {
			n.log.Warn("remember correspondent", "err", err)
		}
		return nil
	case errors.As(err, &refused) && !refused.Temporary():
		return outbox.Permanent(fmt.Errorf("%s refused the message: %w", rcpt, err))
	case errors.As(err, &refused):
		return fmt.Errorf("deliver to %s: %w", rcpt, err)
	default:
		// The stream failed: the QUIC connection may be stale (the peer
		// restarted); drop it so the next attempt dials afresh.
		n.mesh.ResetPeer(rcpt.Key())
		return fmt.Errorf("deliver to %s: %w", rcpt, err)
	}
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

package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/node/peerbook"
)

// ReceiveMessage stores a plain message from a node that does not speak
// YGGPOST (an original Yggmail node), making receiver a
// peer.MessageReceiver. The peer protocol has already checked that MAIL
// FROM is the key the transport authenticated and that RCPT is us; the
// same sender check as for envelopes applies: the From header must be that
// key. A retry of a message whose acknowledgement was lost is recognised by
// its Message-ID from the same sender and stored once.
func (r *receiver) ReceiveMessage(ctx context.Context, from, recipient envelope.Address, body io.Reader) error {
	if recipient != r.local {
		return &peer.Error{Code: 550, Enhanced: "5.1.1", Message: "no such user here"}
	}
	headerFrom, head, msg, err := readSender(body)
	if err != nil {
		return refuse(err)
	}
	if headerFrom != from {
		return refuse(fmt.Errorf("%w: From %s, sent by %s", mailheader.ErrFromMismatch, headerFrom, from))
	}
	opts := mailbox.AppendOptions{Date: time.Now()}
	if key, ok := classicDedupKey(from, head); ok {
		opts.EnvelopeID = &key
	}
	m, dup, err := r.store.Append(mailbox.Inbox, msg, opts)
	if err != nil {
		return refuse(fmt.Errorf("store message: %w", err))
	}
	if dup {
		return peer.ErrDuplicate
	}
	if err := r.book.Touch(from); err != nil {
		r.log.Warn("remember correspondent", "err", err)
	}
	r.book.LearnProtocol(from, peerbook.Classic)
	r.observer.MessageStored(mailbox.Inbox, m.UID, from)
	r.log.Info("received", "from", from.String(), "protocol", "classic", "uid", m.UID, "size", m.Size)
	return nil
}

// classicDedupKey identifies a classic message by its sender and
// Message-ID (mailheader.MessageID); a message without one is never
// treated as a duplicate.
func classicDedupKey(from envelope.Address, head []byte) ([16]byte, bool) {
	id := mailheader.MessageID(head)
	if id == "" {
		return [16]byte{}, false
	}
	sum := sha256.Sum256(append(append([]byte("yggpost classic\x00"), from[:]...), id...))
	return [16]byte(sum[:16]), true
}

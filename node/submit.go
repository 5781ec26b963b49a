package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

// submitter takes messages from the user's mail clients (via node/smtpd):
// one sealed envelope per other recipient goes to the outbox, a copy for
// the user's own address goes straight to INBOX, and the message as
// submitted, with its Bcc recipients, goes to the Sent mailbox (see
// copyPlan and sentCopy). Recipients' copies
// carry no Bcc field.
type submitter struct{ n *Node }

// Submit spools the message once to a temporary file (so it is never whole
// in memory and can be read once per copy), then stores each copy, and
// returns nil only once every recipient's copy is durable.
//
// The Sent copy comes last and its failure is logged, not returned: the
// message is on its way by then, and a client told to retry would send it
// again to everybody. Were it first, a message refused as temporary
// (outbox full) would show in Sent although it was never sent.
func (s submitter) Submit(ctx context.Context, from envelope.Address, to []envelope.Address, msg io.Reader) error {
	n := s.n
	if from != n.addr {
		return fmt.Errorf("submit: sender %s is not this node's address %s", from, n.addr)
	}
	spool, size, err := spoolMessage(msg, n.cfg.MaxMessageSize)
	if err != nil {
		return err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	plan, err := planCopies(spool, size, to)
	if err != nil {
		return err
	}
	now := time.Now()
	if err := n.recipientCopies(plan, to, spool, size, now); err != nil {
		return err
	}
	if err := n.sentCopy(plan, plan.sentMessage(spool, size), mailbox.AppendOptions{Date: now}); err != nil {
		n.log.Error("the message was sent, but its copy could not be kept in Sent", "message_id", plan.messageID, "err", err)
	}
	return nil
}

// recipientCopies queues one envelope per other recipient, then stores the
// user's own copy in INBOX if the user is a recipient.
func (n *Node) recipientCopies(plan copyPlan, to []envelope.Address, spool io.ReaderAt, size int64, now time.Time) error {
	toSelf := false
	for _, rcpt := range to {
		if rcpt == n.addr {
			toSelf = true
			continue
		}
		id, err := n.enqueue(rcpt, now, plan.recipientCopy(spool, size))
		if err != nil {
			return err
		}
		n.log.Info("queued", "id", id.String(), "to", rcpt.String(), "size", size, "message_id", plan.messageID)
		n.retry(rcpt)
	}
	if !toSelf {
		return nil
	}
	m, _, err := n.store.Append(mailbox.Inbox, plan.recipientCopy(spool, size), mailbox.AppendOptions{Date: now})
	if err != nil {
		return fmt.Errorf("store message to self: %w", err)
	}
	n.log.Info("delivered to self", "uid", m.UID, "size", m.Size, "message_id", plan.messageID)
	return nil
}

// enqueue seals body for rcpt and stores the envelope in the outbox.
func (n *Node) enqueue(rcpt envelope.Address, now time.Time, body io.Reader) (envelope.ID, error) {
	id := envelope.NewID()
	pr, pw := io.Pipe()
	go func() {
		_, err := envelope.Seal(pw, n.key, rcpt, id, now, body)
		pw.CloseWithError(err)
	}()
	err := n.store.Enqueue(mailbox.Outbound{ID: id, Recipient: rcpt, Created: now, NextAttempt: now}, pr)
	pr.CloseWithError(errors.New("enqueue finished")) // unblocks the sealer if Enqueue stopped early
	if errors.Is(err, mailbox.ErrOutboxFull) {
		return id, &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1},
			Message: fmt.Sprintf("outbox full, try again later: %v", err)}
	}
	if errors.Is(err, mailbox.ErrTooLarge) {
		// The envelope (the message plus sealing overhead) is over the
		// store's limit: retrying cannot help.
		return id, &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
			Message: fmt.Sprintf("message too large once encrypted for %s: %v", rcpt, err)}
	}
	if err != nil {
		return id, fmt.Errorf("queue message for %s: %w", rcpt, err)
	}
	return id, nil
}

// spoolMessage copies msg to an unlinked-on-return temporary file, refusing
// more than limit bytes.
func spoolMessage(msg io.Reader, limit int64) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "yggpost-submit-*")
	if err != nil {
		return nil, 0, fmt.Errorf("spool message: %w", err)
	}
	size, err := io.Copy(f, io.LimitReader(msg, limit+1))
	if err == nil && size > limit {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
			Message: fmt.Sprintf("message too large: the limit is %d bytes", limit)}
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, fmt.Errorf("spool message: %w", err)
	}
	return f, size, nil
}

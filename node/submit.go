package node

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

// submitter takes messages from the user's mail clients (via node/smtpd):
// one sealed envelope per other recipient goes to the outbox, a copy for
// the user's own address goes straight to INBOX, and the message as
// submitted, with its Bcc recipients, goes to the Sent mailbox (see
// copyPlan and sentCopy). Recipients' copies carry no Bcc field. Every
// copy is de-duplicated, so a client that submits the same message again
// after a failure stores nothing twice (see submissionID).
type submitter struct {
	local   envelope.Address
	key     ed25519.PrivateKey // keys the envelope ids (submissionID)
	store   *mailbox.Store
	maxSize int64 // the largest message taken
	// retry tells the queue that mail for a recipient waits; a node that
	// is not running has no queue yet.
	retry    func(envelope.Address)
	observer Observer // hears of the user's own copy of a message to self
	log      *slog.Logger
}

// Submit spools the message once to a temporary file (so it is never whole
// in memory and can be read once per copy), then stores each copy, and
// returns nil only once every recipient's copy is durable.
//
// The Sent copy comes last and its failure is logged, not returned: the
// message is on its way by then, and a client told to retry would send it
// again to everybody. Were it first, a message refused as temporary
// (outbox full) would show in Sent although it was never sent.
func (s *submitter) Submit(ctx context.Context, from envelope.Address, to []envelope.Address, msg io.Reader) error {
	if from != s.local {
		return fmt.Errorf("submit: sender %s is not this node's address %s", from, s.local)
	}
	spool, size, plan, err := s.spoolAndPlan(msg, to)
	if err != nil {
		return err
	}
	defer discardSpool(spool)
	now := time.Now()
	queued, err := s.recipientCopies(plan, to, spool, size, now)
	if err != nil {
		return err
	}
	if err := s.sentCopy(plan, plan.sentMessage(spool, size), mailbox.AppendOptions{Date: now}); err != nil {
		s.log.Error("the message was sent, but its copy could not be kept in Sent", "message_id", plan.messageID, "err", err)
	}
	// Delivery starts now, so that the Sent copy exists when its outcome
	// is recorded on it.
	for _, rcpt := range queued {
		s.retry(rcpt)
	}
	return nil
}

// recipientCopies queues one envelope per other recipient, then stores the
// user's own copy in INBOX if the user is a recipient. It returns the
// recipients queued for.
func (s *submitter) recipientCopies(plan copyPlan, to []envelope.Address, spool io.ReaderAt, size int64, now time.Time) ([]envelope.Address, error) {
	toSelf := false
	var queued []envelope.Address
	var sentKey [16]byte
	if !plan.chat {
		sentKey, _ = mailbox.SentCopyKey(plan.messageID)
	}
	for _, rcpt := range to {
		if rcpt == s.local {
			toSelf = true
			continue
		}
		id := s.submissionID(plan.digest, rcpt)
		row := mailbox.Outbound{ID: id, Recipient: rcpt, Created: now, NextAttempt: now, SentCopy: sentKey, MessageID: plan.messageID}
		if err := s.enqueue(row, plan.recipientCopy(spool, size)); err != nil {
			return queued, err
		}
		s.log.Info("queued", "id", id.String(), "to", rcpt.String(), "size", size, "message_id", plan.messageID)
		queued = append(queued, rcpt)
	}
	if !toSelf {
		return queued, nil
	}
	key := dedupKey(s.local, s.submissionID(plan.digest, s.local))
	m, dup, err := s.store.Append(mailbox.Inbox, plan.recipientCopy(spool, size), mailbox.AppendOptions{Date: now, EnvelopeID: &key})
	if err != nil {
		return queued, fmt.Errorf("store message to self: %w", err)
	}
	if dup {
		s.log.Info("message to self stored already", "uid", m.UID, "message_id", plan.messageID)
		return queued, nil
	}
	s.observer.MessageStored(mailbox.Inbox, m.UID, s.local)
	s.log.Info("delivered to self", "uid", m.UID, "size", m.Size, "message_id", plan.messageID)
	return queued, nil
}

// enqueue stores body in the outbox as row. An envelope with that id
// queued already is left as it is.
func (s *submitter) enqueue(row mailbox.Outbound, body io.Reader) error {
	rcpt, id := row.Recipient, row.ID
	if s.queued(id) {
		s.log.Info("envelope queued already", "id", id.String(), "to", rcpt.String())
		return nil
	}
	// The outbox keeps the message as submitted; it is sealed for the
	// recipient as it is sent (node.deliver), so the same row can also go
	// in plain form to a classic Yggmail node.
	err := s.store.Enqueue(row, body)
	if errors.Is(err, mailbox.ErrExists) {
		s.log.Info("envelope queued already", "id", id.String(), "to", rcpt.String())
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue message for %s: %w", rcpt, err)
	}
	return nil
}

// queued reports whether the outbox holds an envelope with id. (Enqueue
// would say so too, but a full outbox takes precedence there.) Any error
// reads as false and leaves Enqueue to report it.
func (s *submitter) queued(id envelope.ID) bool {
	rc, err := s.store.OpenOutbound(id)
	if err != nil {
		return false
	}
	if err := rc.Close(); err != nil {
		s.log.Debug("close outbound envelope", "id", id.String(), "err", err)
	}
	return true
}

// spoolAndPlan spools msg (spoolMessage) and plans its copies for the
// recipients to. The caller discards the spool (discardSpool).
func (s *submitter) spoolAndPlan(msg io.Reader, to []envelope.Address) (*os.File, int64, copyPlan, error) {
	spool, size, digest, err := spoolMessage(msg, s.maxSize)
	if err != nil {
		return nil, 0, copyPlan{}, err
	}
	plan, err := planCopies(spool, size, to)
	if err != nil {
		discardSpool(spool)
		return nil, 0, copyPlan{}, err
	}
	plan.digest = digest
	return spool, size, plan, nil
}

// discardSpool closes and removes a spool file.
func discardSpool(spool *os.File) {
	spool.Close()
	os.Remove(spool.Name())
}

// spoolMessage copies msg to a temporary file, refusing more than limit
// bytes, and returns it with its size and SHA-256 digest. The caller
// closes and removes the file.
func spoolMessage(msg io.Reader, limit int64) (*os.File, int64, [sha256.Size]byte, error) {
	var digest [sha256.Size]byte
	f, err := os.CreateTemp("", "yggpost-submit-*")
	if err != nil {
		return nil, 0, digest, fmt.Errorf("spool message: %w", err)
	}
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(msg, limit+1))
	if err == nil && size > limit {
		err = fmt.Errorf("%w: the limit is %d bytes", mailbox.ErrTooLarge, limit)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, digest, fmt.Errorf("spool message: %w", err)
	}
	return f, size, [sha256.Size]byte(h.Sum(nil)), nil
}

package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	// deliver hands a row just queued to the delivery queue; a node that
	// is not running has no queue yet.
	deliver  func(mailbox.Outbound)
	observer Observer // hears of the user's own copy of a message to self
	log      *slog.Logger
}

// Submit stores every copy of the message in one commit
// (mailbox.Store.Submit) and returns nil only once all are durable. A
// message is never whole in memory: a large one goes into the store as it
// arrives when all its copies share one body (submitStreamed), and is
// otherwise spooled once to a temporary file, from which each copy reads.
//
// The Sent copy is stored with the recipients' copies, all or none: a
// message refused as temporary (outbox full) leaves no Sent copy, and a
// message queued always has its Sent copy (when it has one, see
// sentCopy), which exists before delivery starts and records an outcome
// on it.
func (s *submitter) Submit(ctx context.Context, from envelope.Address, to []envelope.Address, msg io.Reader) error {
	if from != s.local {
		return fmt.Errorf("submit: sender %s is not this node's address %s", from, s.local)
	}
	a, err := arrive(msg, s.maxSize)
	if err != nil {
		return err
	}
	if !a.whole() {
		// The header is within the head: a longer one is refused below, as
		// mailheader.Read bounds it to less than the head.
		if plan, err := planCopies(bytes.NewReader(a.head), int64(len(a.head)), to); err == nil && plan.sharedBody() {
			return s.submitStreamed(a, plan, to)
		}
	}
	spool, size, plan, err := spoolAndPlan(a, to)
	if err != nil {
		return err
	}
	defer spool.discard()
	now := time.Now()
	sub := s.submission(plan, to, plan.recipientCopy(spool, size), now)
	sub.Sent = s.sentCopy(plan, plan.sentMessage(spool, size), mailbox.AppendOptions{Date: now})
	return s.commitAndDeliver(plan, sub, size)
}

// submitStreamed stores a large message whose copies all share one body
// (no Bcc field to add or remove for the Sent copy): the recipients' copy
// goes into the store as the client sends it (mailbox.Store.TakeBody), and
// the rows, whose envelope ids hash the whole message, follow in the
// commit. One write to the store, no temporary file and no copy of it.
func (s *submitter) submitStreamed(a *arrival, plan copyPlan, to []envelope.Address) error {
	body, err := s.store.TakeBody(io.MultiReader(bytes.NewReader(plan.outHeader), bytes.NewReader(a.head[plan.bodyAt:]), a.rest))
	if err != nil {
		return fmt.Errorf("spool message: %w", err)
	}
	if err := a.overLimit(); err != nil {
		s.store.DropBody(body)
		return err
	}
	plan.digest = a.digest()
	now := time.Now()
	sub := s.submission(plan, to, nil, now)
	sub.Taken = &body
	sub.Sent = s.sentCopy(plan, nil, mailbox.AppendOptions{Date: now})
	return s.commitAndDeliver(plan, sub, a.read)
}

// commitAndDeliver stores sub (commit) and hands the rows queued now to
// delivery.
func (s *submitter) commitAndDeliver(plan copyPlan, sub mailbox.Submission, size int64) error {
	queued, err := s.commit(plan, sub, size)
	if err != nil {
		return err
	}
	for _, row := range queued {
		s.deliver(row)
	}
	return nil
}

// recipientCopies stores the recipients' copies of the message to the
// recipients to (submission), without a Sent copy, and returns the
// rows queued now.
func (s *submitter) recipientCopies(plan copyPlan, to []envelope.Address, spool io.ReaderAt, size int64, now time.Time) ([]mailbox.Outbound, error) {
	return s.commit(plan, s.submission(plan, to, plan.recipientCopy(spool, size), now), size)
}

// submission is what the store keeps of a message to the recipients to:
// one outbox row per other recipient and, if the user is a recipient, the
// user's own copy in INBOX, all of them the recipients' copy of the
// message, body. The outbox keeps the message as submitted; it is sealed for
// the recipient as it is sent (node.deliver), so the same row can also go
// in plain form to a classic Yggmail node.
func (s *submitter) submission(plan copyPlan, to []envelope.Address, body io.Reader, now time.Time) mailbox.Submission {
	var sentKey [16]byte
	if !plan.chat {
		sentKey, _ = mailbox.SentCopyKey(plan.messageID)
	}
	sub := mailbox.Submission{Body: body}
	for _, rcpt := range to {
		if rcpt == s.local {
			key := dedupKey(s.local, s.submissionID(plan.digest, s.local))
			sub.Self = &mailbox.AppendOptions{Date: now, EnvelopeID: &key}
			continue
		}
		sub.Rows = append(sub.Rows, mailbox.Outbound{ID: s.submissionID(plan.digest, rcpt), Recipient: rcpt,
			Created: now, NextAttempt: now, SentCopy: sentKey, MessageID: plan.messageID})
	}
	return sub
}

// commit stores sub, tells what was stored, and returns the rows queued
// now; the caller starts their delivery (deliver), now that
// every copy exists. A row queued already (the same message submitted
// again) is left to the delivery under way.
func (s *submitter) commit(plan copyPlan, sub mailbox.Submission, size int64) ([]mailbox.Outbound, error) {
	done, err := s.store.Submit(sub)
	if err != nil {
		return nil, fmt.Errorf("queue message: %w", err)
	}
	for _, row := range done.Present {
		s.log.Info("envelope queued already", "id", row.ID.String(), "to", row.Recipient.String())
	}
	for _, row := range done.Queued {
		s.log.Info("queued", "id", row.ID.String(), "to", row.Recipient.String(), "size", size, "message_id", plan.messageID)
	}
	s.selfCopyStored(plan, done.Self)
	s.sentCopyStored(plan, sub.Sent, done.Sent)
	return done.Queued, nil
}

// enqueue stores body in the outbox as row. An envelope with that id
// queued already is left as it is.
func (s *submitter) enqueue(row mailbox.Outbound, body io.Reader) error {
	rcpt, id := row.Recipient, row.ID
	if s.queued(id) {
		s.log.Info("envelope queued already", "id", id.String(), "to", rcpt.String())
		return nil
	}
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

// selfCopyStored tells of the user's own copy in INBOX, if there is one.
func (s *submitter) selfCopyStored(plan copyPlan, self mailbox.Kept) {
	switch {
	case self.Mailbox == "":
	case self.Duplicate:
		s.log.Info("message to self stored already", "uid", self.Message.UID, "message_id", plan.messageID)
	default:
		s.observer.MessageStored(mailbox.Inbox, self.Message.UID, s.local)
		s.log.Info("delivered to self", "uid", self.Message.UID, "size", self.Message.Size, "message_id", plan.messageID)
	}
}

// spoolAndPlan spools the message arriving in a (arrival.spool) and plans
// its copies for the recipients to. The caller discards the spool.
func spoolAndPlan(a *arrival, to []envelope.Address) (*spool, int64, copyPlan, error) {
	sp, digest, err := a.spool()
	if err != nil {
		return nil, 0, copyPlan{}, err
	}
	plan, err := planCopies(sp, sp.size, to)
	if err != nil {
		sp.discard()
		return nil, 0, copyPlan{}, err
	}
	plan.digest = digest
	return sp, sp.size, plan, nil
}

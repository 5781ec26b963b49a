package mailbox

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/yggpost/yggpost/envelope"
)

// Submission is what the store keeps of one message the user submitted:
// an outbox row per recipient other than the user, the user's own copy in
// INBOX when the user is a recipient too, and the sender's copy in the
// Sent mailbox.
type Submission struct {
	// Rows are the outbox rows (Outbound.Size is ignored; a zero Created
	// means now). Every row carries Body.
	Rows []Outbound
	// Body is the recipients' copy of the message. Rows and the INBOX copy
	// share it: it is stored once.
	Body io.Reader
	// Taken, if set, is the recipients' copy stored already (TakeBody);
	// Body is then ignored. Submit owns it from the call on: it deletes it
	// when nothing references it in the end, a failed call included (a
	// store closed meanwhile leaves that to its next open).
	Taken *Body
	// Self, if set, also stores Body in INBOX with these options.
	Self *AppendOptions
	// Sent, if set, is the copy for the Sent mailbox.
	Sent *SentCopy
}

// SentCopy is the sender's copy of a submitted message: the recipients'
// copy plus the Bcc field they do not see, so a body of its own; or, with
// no Bcc field to add (a nil Body), the recipients' copy itself, whose
// body it then shares.
type SentCopy struct {
	Body    io.Reader // nil: the same as Submission.Body
	Options AppendOptions
}

// Submitted says what Submit stored.
type Submitted struct {
	Queued  []Outbound // the rows queued now, as given
	Present []Outbound // the rows whose id was queued already, left as they were
	Self    Kept       // the INBOX copy (Submission.Self)
	Sent    Kept       // the Sent copy (Submission.Sent)
}

// Kept is the outcome of storing one copy of a submitted message.
type Kept struct {
	// Mailbox is where the copy is; "" when none was asked for, or for a
	// Sent copy when the store has no Sent mailbox (SentMailbox).
	Mailbox string
	// Message is the copy stored, or with Duplicate the message stored
	// before under the same key, if it is still in Mailbox (else UID 0).
	Message   Message
	Duplicate bool
}

// Submit stores a submission in one transaction, shared with concurrent
// small writes (Store.update): once it returns nil, every row, the INBOX
// copy and the Sent copy are durable together; on error none of them is
// stored. So an outbox too full for the rows (ErrOutboxFull) leaves no
// Sent copy of a message that was not sent, and a Sent copy exists before
// any row can be delivered and its outcome recorded on it.
//
// Each check of Enqueue and Append applies, inside the transaction: the
// outbox bounds for the rows not queued yet, all of them or none; the
// mailboxes exist (INBOX, and Sent found as SentMailbox does; no Sent
// mailbox means no Sent copy, not an error); flags and dates. A row whose
// id is queued already is left as it is and reported in Present, not as
// an error, so that a client submitting the same message again stores
// nothing twice; a copy whose AppendOptions.EnvelopeID was delivered
// already is reported Duplicate.
//
// A body is bounded as an outbox row's is (see Enqueue): the Sent copy,
// a submission plus a Bcc field, is never refused for that field. The
// INBOX copy is bounded by Options.MaxMessageSize as Append's is. Large
// bodies are written in chunks before the transaction; one that ends up
// unreferenced is deleted.
func (s *Store) Submit(sub Submission) (Submitted, error) {
	if err := s.enter(); err != nil {
		return Submitted{}, err
	}
	defer s.leave()
	in, err := s.takeSubmission(sub)
	if err != nil {
		return Submitted{}, fmt.Errorf("submit: %w", err)
	}
	var out Submitted
	err = s.update(true, in.inline(), func(b *batch) error {
		var err error
		out, err = b.submit(in)
		return err
	})
	in.dropUnused(s, out, err)
	if err != nil {
		return Submitted{}, fmt.Errorf("submit: %w", err)
	}
	return out, nil
}

// submission is a Submission whose bodies were taken (takeBody) and whose
// options were checked.
type submission struct {
	rows       []Outbound
	body, sent pendingBody
	hasBody    bool // rows, an INBOX copy or a shared Sent copy reference body
	sharedSent bool // the Sent copy's body is body (SentCopy.Body nil)
	self       *AppendOptions
	selfFlags  []string
	sentCopy   *SentCopy
	sentFlags  []string
}

// takeSubmission checks sub's options, then takes its bodies. On error it
// deletes sub.Taken.
func (s *Store) takeSubmission(sub Submission) (*submission, error) {
	in, err := s.checkSubmission(sub)
	if err != nil {
		if sub.Taken != nil {
			s.drop(sub.Taken.p)
		}
		return nil, err
	}
	limit := submissionLimit(s.opts)
	switch {
	case sub.Taken != nil && !in.hasBody:
		s.drop(sub.Taken.p)
	case sub.Taken != nil:
		in.body = sub.Taken.p
	case in.hasBody:
		if in.body, err = s.takeBody(sub.Body, limit); err != nil {
			return nil, err
		}
	}
	if in.hasBody {
		if in.self != nil && in.body.Size > s.opts.MaxMessageSize {
			s.drop(in.body)
			return nil, fmt.Errorf("copy to %s: %w: the limit is %d bytes", Inbox, ErrTooLarge, s.opts.MaxMessageSize)
		}
	}
	switch {
	case in.sharedSent:
		in.sent = in.body
	case in.sentCopy != nil:
		if in.sent, err = s.takeBody(in.sentCopy.Body, limit); err != nil {
			s.drop(in.body)
			return nil, fmt.Errorf("sent copy: %w", err)
		}
	}
	return in, nil
}

// checkSubmission checks sub's options and returns what Submit keeps of
// it, its bodies not taken yet.
func (s *Store) checkSubmission(sub Submission) (*submission, error) {
	in := &submission{rows: sub.Rows, self: sub.Self, sentCopy: sub.Sent,
		sharedSent: sub.Sent != nil && sub.Sent.Body == nil}
	in.hasBody = len(sub.Rows) > 0 || sub.Self != nil || in.sharedSent
	var err error
	if in.self != nil {
		if in.selfFlags, err = checkAppend(*in.self); err != nil {
			return nil, fmt.Errorf("copy to %s: %w", Inbox, err)
		}
	}
	if in.sentCopy != nil {
		if in.sentFlags, err = checkAppend(in.sentCopy.Options); err != nil {
			return nil, fmt.Errorf("sent copy: %w", err)
		}
	}
	return in, nil
}

// submissionLimit bounds the bodies of a submission as an outbox row's
// (Enqueue): the largest message sealed.
func submissionLimit(o Options) int64 { return envelope.SealedSize(o.MaxMessageSize) }

// Body is the recipients' copy of a submitted message stored ahead of the
// Submit that references it (Submission.Taken), so that a large message
// goes into the store as it arrives: the rows that name it cannot be made
// before its last byte (their ids hash the whole message). It is durable
// but unreferenced: Submit takes it over, or DropBody deletes it, and one
// left behind by a crash is deleted when the store next opens.
type Body struct{ p pendingBody }

// Size is the body's length in bytes.
func (b Body) Size() int64 { return b.p.Size }

// TakeBody stores r, read to its end, as the body of a submission to come,
// bounded as Submit bounds one.
func (s *Store) TakeBody(r io.Reader) (Body, error) {
	if err := s.enter(); err != nil {
		return Body{}, err
	}
	defer s.leave()
	p, err := s.takeBody(r, submissionLimit(s.opts))
	if err != nil {
		return Body{}, fmt.Errorf("submit: %w", err)
	}
	return Body{p}, nil
}

// DropBody deletes a body taken with TakeBody that will not be submitted.
func (s *Store) DropBody(b Body) {
	if err := s.enter(); err != nil {
		return // closed: the next open deletes it
	}
	defer s.leave()
	s.drop(b.p)
}

// inline is the bytes the submission writes in its transaction.
func (in *submission) inline() int64 {
	if in.sharedSent {
		return int64(len(in.body.Small))
	}
	return int64(len(in.body.Small) + len(in.sent.Small))
}

// dropUnused deletes the bodies that nothing references after Submit.
func (in *submission) dropUnused(s *Store, out Submitted, err error) {
	sentKept := err == nil && out.Sent.Mailbox != "" && !out.Sent.Duplicate
	bodyKept := err == nil && (len(out.Queued) > 0 || in.self != nil && !out.Self.Duplicate || in.sharedSent && sentKept)
	if in.hasBody && !bodyKept {
		s.drop(in.body)
	}
	if in.sentCopy != nil && !in.sharedSent && !sentKept {
		s.drop(in.sent)
	}
}

// submit writes a submission into b. Every check comes before the first
// write, so a refused submission fails alone and leaves b as it was (see
// chunkstore.Committer). It may run more than once: it keeps its results
// in b and in what it returns.
func (b *batch) submit(in *submission) (Submitted, error) {
	b.whole = true
	var out Submitted
	var err error
	if out.Queued, out.Present, err = b.freshRows(in.rows); err != nil {
		return Submitted{}, err
	}
	if err := b.outboxHolds(len(out.Queued), in.body.Size); err != nil {
		return Submitted{}, err
	}
	self, err := b.planCopy(Inbox, in.self)
	if err != nil {
		return Submitted{}, fmt.Errorf("copy to %s: %w", Inbox, err)
	}
	sent, err := b.planSentCopy(in.sentCopy)
	if err != nil {
		return Submitted{}, fmt.Errorf("sent copy: %w", err)
	}
	if len(out.Queued) > 0 || self.adds() || in.sharedSent && sent.adds() {
		if err := b.store(in.body); err != nil {
			return Submitted{}, err
		}
	}
	if !in.sharedSent && sent.adds() {
		if err := b.store(in.sent); err != nil {
			return Submitted{}, err
		}
	}
	if err := b.queueAll(out.Queued, in.body); err != nil {
		return Submitted{}, err
	}
	if out.Self, err = self.store(b, in.body, in.selfFlags); err != nil {
		return Submitted{}, fmt.Errorf("copy to %s: %w", Inbox, err)
	}
	if out.Sent, err = sent.store(b, in.sent, in.sentFlags); err != nil {
		return Submitted{}, fmt.Errorf("sent copy: %w", err)
	}
	return out, nil
}

// freshRows splits rows into those to queue and those whose id is queued
// already (or comes twice in rows).
func (b *batch) freshRows(rows []Outbound) (fresh, present []Outbound, err error) {
	seen := make(map[envelope.ID]bool, len(rows))
	for _, o := range rows {
		err := absent(b.txn, o.ID)
		switch {
		case errors.Is(err, ErrExists) || seen[o.ID]:
			present = append(present, o)
		case err != nil:
			return nil, nil, fmt.Errorf("enqueue %x: %w", o.ID, err)
		default:
			fresh = append(fresh, o)
		}
		seen[o.ID] = true
	}
	return fresh, present, nil
}

// outboxHolds checks that n more rows of size bytes each fit in the outbox,
// counting what earlier writes of the same group queued (b.outCount).
func (b *batch) outboxHolds(n int, size int64) error {
	if n == 0 {
		return nil
	}
	s := b.s
	count, bytes := s.outCount+b.outCount, s.outBytes+b.outBytes
	if count+n > s.opts.MaxOutboxCount || bytes+int64(n)*size > s.opts.MaxOutboxBytes {
		return fmt.Errorf("%w: %d envelopes, %d bytes queued; %d more of %d bytes refused",
			ErrOutboxFull, count, bytes, n, size)
	}
	return nil
}

// queueAll writes rows, which share the body p (written already), and
// their references to it.
func (b *batch) queueAll(rows []Outbound, p pendingBody) error {
	if len(rows) == 0 {
		return nil
	}
	for _, o := range rows {
		if err := b.queue(o.ID, newOutboundRec(o, p)); err != nil {
			return fmt.Errorf("enqueue %x: %w", o.ID, err)
		}
	}
	n, err := b.refs(p.ID)
	if err != nil {
		return err
	}
	return b.set(refKey(p.ID), putUint32(n+uint32(len(rows))))
}

// plannedCopy is a copy of a submitted message checked and ready to store.
type plannedCopy struct {
	box   *mailboxRec // nil: no copy
	opts  AppendOptions
	prior *messageRec // set if the copy's key was delivered already
}

// planCopy checks that mailbox name exists and whether the copy with opts
// (nil: none) was stored already.
func (b *batch) planCopy(name string, opts *AppendOptions) (plannedCopy, error) {
	if opts == nil {
		return plannedCopy{}, nil
	}
	box, err := b.mailbox(name)
	if err != nil {
		return plannedCopy{}, err
	}
	c := plannedCopy{box: box, opts: *opts}
	prior, dup, err := deliveredMessage(b.txn, box.id, opts.EnvelopeID)
	if dup {
		c.prior = &prior
	}
	return c, err
}

// planSentCopy is planCopy for the Sent mailbox (sentMailboxIn); with no
// Sent mailbox, there is no copy.
func (b *batch) planSentCopy(c *SentCopy) (plannedCopy, error) {
	if c == nil {
		return plannedCopy{}, nil
	}
	name, err := b.sentMailbox()
	if err != nil || name == "" {
		return plannedCopy{}, err
	}
	return b.planCopy(name, &c.Options)
}

// sentMailbox is sentMailboxIn for b, known from an earlier batch unless a
// mailbox was added, renamed or deleted since (Store.sent).
func (b *batch) sentMailbox() (string, error) {
	s := b.s
	if s.sentKnown && !b.names {
		return s.sent, nil
	}
	name, err := sentMailboxIn(s, b.txn)
	if err == nil && !b.names {
		s.sent, s.sentKnown = name, true
	}
	return name, err
}

// adds reports whether storing c adds a message.
func (c plannedCopy) adds() bool { return c.box != nil && c.prior == nil }

// store adds the planned copy, with body p (written already), unless it
// was stored already.
func (c plannedCopy) store(b *batch, p pendingBody, flags []string) (Kept, error) {
	if c.box == nil {
		return Kept{}, nil
	}
	if c.prior != nil {
		return Kept{Mailbox: c.box.Name, Message: c.prior.public(), Duplicate: true}, nil
	}
	m, err := b.addDelivered(c.box, newMessageRec(flags, c.opts.Date, p), c.opts.EnvelopeID)
	if err != nil {
		return Kept{}, err
	}
	return Kept{Mailbox: c.box.Name, Message: m.public()}, nil
}

// SentMailbox is the mailbox the node keeps copies of sent messages in:
// the one with the \Sent special use (RFC 6154), the first by name if
// several have it, or else the one named Sent; "" if there is neither
// (the user deleted it).
func (s *Store) SentMailbox() (string, error) {
	if err := s.enter(); err != nil {
		return "", err
	}
	defer s.leave()
	var name string
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		name, err = sentMailboxIn(s, txn)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("find the Sent mailbox: %w", err)
	}
	return name, nil
}

// sentMailboxIn is SentMailbox as txn sees it.
func sentMailboxIn(s *Store, txn *badger.Txn) (string, error) {
	special, named := "", ""
	for _, r := range s.mailboxesIn(txn) {
		if strings.EqualFold(r.SpecialUse, `\Sent`) && (special == "" || r.Name < special) {
			special = r.Name
		}
		if r.Name == Sent {
			named = r.Name
		}
	}
	if special != "" {
		return special, nil
	}
	return named, nil
}

package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
	"github.com/yggpost/yggpost/node/yggmail"
)

// Settings an import leaves in the node database, so that running it
// again stores nothing twice.
const (
	// settingImportedUpTo + a Yggmail mailbox name: the highest message
	// id of that mailbox imported (decimal). Yggmail numbers messages up
	// within a mailbox, so a second run starts after it.
	settingImportedUpTo = "yggmail-import.up-to\x00"
	// settingImportQueued + mailbox + "\x00" + id: that queued message was
	// put in the outbox. Without it a second run would send a message
	// again after the first start had delivered it.
	settingImportQueued = "yggmail-import.queued\x00"
)

// checkpointEvery is how many messages are stored between two records of
// settingImportedUpTo. The messages stored after the last record are
// recognised by their de-duplication key (importKey) instead.
const checkpointEvery = 256

// importer writes one Yggmail database into an open node that does not
// run. Messages are de-duplicated twice over: a mailbox is read from
// after the id recorded under settingImportedUpTo, and every message is
// appended with a key of its own (importKey), which covers what was stored
// after the last record (an interrupted run) for mailbox.DeliveredTTL.
type importer struct {
	node     *Node
	store    *mailbox.Store
	in       *yggmail.DB
	plan     importPlan
	progress func(ImportProgress)
	done     ImportProgress // Messages and Bytes so far
	sent     string         // the Yggpost mailbox Outbox becomes
	sum      ImportSummary
}

func (imp *importer) run(ctx context.Context) error {
	if err := imp.password(); err != nil {
		return err
	}
	if err := imp.mailboxes(); err != nil {
		return err
	}
	for _, box := range imp.plan.boxes {
		if err := imp.messages(ctx, box); err != nil {
			return err
		}
	}
	return imp.queue(ctx)
}

// password adopts Yggmail's password hash unless the database has a
// password already, which the user may have changed since a first run.
func (imp *importer) password() error {
	_, err := imp.store.Setting(settingPasswordHash)
	switch {
	case err == nil:
		imp.sum.Password = "kept"
		return nil
	case !errors.Is(err, mailbox.ErrNotFound):
		return fmt.Errorf("read password hash: %w", err)
	case imp.plan.key.PasswordHash == "":
		imp.sum.Password = "none"
		return nil
	}
	imp.sum.Password = "imported"
	return SetPasswordHash(imp.store, imp.plan.key.PasswordHash)
}

// mailboxes creates every mailbox that is missing and sets the
// subscriptions. A Yggpost mailbox that several Yggmail mailboxes become
// (Outbox and a Sent of Yggmail's) is subscribed if any of them was.
func (imp *importer) mailboxes() error {
	sent, err := imp.sentMailbox()
	if err != nil {
		return err
	}
	imp.sent = sent
	subscribed := map[string]bool{}
	for _, box := range imp.plan.boxes {
		name, err := mailbox.CanonName(targetName(box.Name, sent))
		if err != nil {
			return err
		}
		subscribed[name] = subscribed[name] || box.Subscribed
		if err := imp.store.CreateMailbox(name); err != nil && !errors.Is(err, mailbox.ErrExists) {
			return fmt.Errorf("create mailbox %q: %w", name, err)
		}
	}
	for name, on := range subscribed {
		if err := imp.store.SetSubscribed(name, on); err != nil {
			return err
		}
	}
	return nil
}

// sentMailbox finds the mailbox the node keeps sent mail in, creating
// Sent if the user deleted it.
func (imp *importer) sentMailbox() (string, error) {
	name, err := imp.node.submit.sentMailbox()
	if err != nil || name != "" {
		return name, err
	}
	if err := imp.store.CreateSpecialMailbox(mailbox.Sent, `\Sent`); err != nil {
		return "", fmt.Errorf("create mailbox %q: %w", mailbox.Sent, err)
	}
	return mailbox.Sent, nil
}

// messages stores the messages of one Yggmail mailbox, in id order, from
// after the id a previous run recorded.
func (imp *importer) messages(ctx context.Context, box yggmail.Mailbox) error {
	after, err := imp.importedUpTo(box.Name)
	if err != nil {
		return err
	}
	target, _ := mailbox.CanonName(targetName(box.Name, imp.sent)) // checked by mailboxes
	last, walked, unrecorded := after, int64(0), 0
	err = imp.in.Messages(ctx, box.Name, after, func(msg yggmail.Message) error {
		if err := imp.append(target, msg); err != nil {
			return err
		}
		last, walked, unrecorded = msg.ID, walked+1, unrecorded+1
		if unrecorded < checkpointEvery {
			return nil
		}
		unrecorded = 0
		return imp.recordUpTo(box.Name, last)
	})
	if err != nil {
		return fmt.Errorf("import mailbox %q: %w", box.Name, err)
	}
	if err := imp.recordUpTo(box.Name, last); err != nil {
		return err
	}
	imp.skipped(box, walked)
	return nil
}

// skipped counts the messages of box a previous run stored, which this
// run did not read, and reports the mailbox done.
func (imp *importer) skipped(box yggmail.Mailbox, walked int64) {
	if before := box.Messages - walked; before > 0 {
		imp.sum.Skipped += before
		imp.done.Messages += before
	}
	imp.report(box.Name, true)
}

// append stores one message with its flags and date.
func (imp *importer) append(target string, msg yggmail.Message) error {
	key := imp.importKey(target, msg)
	opts := mailbox.AppendOptions{Flags: msg.Flags(), Date: msg.Date, EnvelopeID: &key}
	if y := msg.Date.Year(); y < 1900 || y > 2200 {
		imp.node.log.Warn("Yggmail message has an impossible date; it gets today's", "mailbox", msg.Mailbox, "id", msg.ID, "date", msg.Date)
		opts.Date = time.Time{}
	}
	_, dup, err := imp.store.Append(target, bytes.NewReader(msg.Body), opts)
	if err != nil {
		return fmt.Errorf("store message %d: %w", msg.ID, err)
	}
	size := int64(len(msg.Body))
	if dup {
		imp.sum.Skipped++
	} else {
		imp.sum.Messages++
		imp.sum.Bytes += size
	}
	imp.done.Messages++
	imp.done.Bytes += size
	imp.report(msg.Mailbox, false)
	return nil
}

// importKey is the de-duplication key of a message. A message that goes
// to Sent and has a Message-ID gets the key the node gives its own Sent
// copies (mailbox.SentCopyKey), so that a queued message's outcome is
// shown on it (see recipientCopies) and a client that APPENDs it again
// stores nothing. Any other message is keyed by where it was in Yggmail
// and its content: a row Yggmail reused for another message is new.
func (imp *importer) importKey(target string, msg yggmail.Message) [16]byte {
	if target == imp.sent {
		header, _, err := mailheader.Read(bytes.NewReader(msg.Body), mailheader.DefaultMax)
		if key, ok := mailbox.SentCopyKey(mailheader.MessageID(header)); err == nil && ok {
			return key
		}
	}
	body := sha256.Sum256(msg.Body)
	h := sha256.New()
	fmt.Fprintf(h, "yggpost yggmail import\x00%s\x00%d\x00", msg.Mailbox, msg.ID)
	h.Write(body[:])
	return [16]byte(h.Sum(nil))
}

func (imp *importer) report(box string, boxDone bool) {
	if imp.progress == nil {
		return
	}
	p := imp.plan.total
	p.Mailbox, p.MailboxDone, p.Messages, p.Bytes = box, boxDone, imp.done.Messages, imp.done.Bytes
	imp.progress(p)
}

// importedUpTo reads settingImportedUpTo for a Yggmail mailbox; 0 if
// nothing was recorded.
func (imp *importer) importedUpTo(box string) (int64, error) {
	v, err := imp.store.Setting(settingImportedUpTo + box)
	if errors.Is(err, mailbox.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read import record of %q: %w", box, err)
	}
	id, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("import record of %q is damaged (%q): %w", box, v, err)
	}
	return id, nil
}

func (imp *importer) recordUpTo(box string, id int64) error {
	if err := imp.store.SetSetting(settingImportedUpTo+box, []byte(strconv.FormatInt(id, 10))); err != nil {
		return fmt.Errorf("record import of %q: %w", box, err)
	}
	return nil
}

// queue puts every message Yggmail still had to send in the outbox,
// through the node's own submission path (queueSent), so it goes out when
// the node first runs. An entry whose sender is not the user or whose
// recipient is no address is logged and left out: its message is in
// Sent, from where the user can send it again.
func (imp *importer) queue(ctx context.Context) error {
	for _, q := range imp.plan.queue {
		done := fmt.Sprintf("%s%s\x00%d", settingImportQueued, q.Mailbox, q.ID)
		if _, err := imp.store.Setting(done); err == nil {
			continue
		}
		ok, err := imp.queueOne(ctx, q)
		if err != nil {
			return fmt.Errorf("queue message %s/%d: %w", q.Mailbox, q.ID, err)
		}
		if !ok {
			imp.sum.NotQueued++
			continue
		}
		if err := imp.store.SetSetting(done, nil); err != nil {
			return fmt.Errorf("record queued message %s/%d: %w", q.Mailbox, q.ID, err)
		}
		imp.sum.Queued++
	}
	return nil
}

// queueOne queues one message; false if the entry is unusable (logged).
func (imp *importer) queueOne(ctx context.Context, q yggmail.Queued) (bool, error) {
	rcpts, err := imp.recipients(q)
	if err != nil {
		imp.node.log.Warn("queued Yggmail message left out", "mailbox", q.Mailbox, "id", q.ID, "err", err)
		return false, nil
	}
	msg, err := imp.in.Message(ctx, q.Mailbox, q.ID)
	if errors.Is(err, sql.ErrNoRows) {
		imp.node.log.Warn("queued Yggmail message left out: the message itself is gone", "mailbox", q.Mailbox, "id", q.ID)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, imp.node.submit.queueSent(rcpts, bytes.NewReader(msg.Body))
}

// recipients checks a queue entry's sender and reads its recipients.
func (imp *importer) recipients(q yggmail.Queued) ([]envelope.Address, error) {
	from, err := envelope.ParseAddress(q.From)
	if err != nil || from != imp.node.addr {
		return nil, fmt.Errorf("sender %q is not this node's address %s", q.From, imp.node.addr)
	}
	rcpts := make([]envelope.Address, 0, len(q.Recipients))
	for _, r := range q.Recipients {
		a, err := envelope.ParseAddress(r)
		if err != nil {
			return nil, fmt.Errorf("recipient %q: %w", r, err)
		}
		rcpts = append(rcpts, a)
	}
	return rcpts, nil
}

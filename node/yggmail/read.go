package yggmail

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Identity is the node's key and the IMAP/SMTP password hash.
type Identity struct {
	Key          ed25519.PrivateKey
	PasswordHash string // "" when Yggmail had no password set
}

// Identity reads the config rows private_key and password.
func (d *DB) Identity(ctx context.Context) (Identity, error) {
	keyText, err := d.config(ctx, "private_key")
	if errors.Is(err, sql.ErrNoRows) {
		return Identity{}, fmt.Errorf("%w: it holds no private key", ErrNotYggmail)
	}
	if err != nil {
		return Identity{}, err
	}
	key, err := ParsePrivateKey(keyText)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Key: key}
	hash, err := d.config(ctx, "password")
	if errors.Is(err, sql.ErrNoRows) {
		return id, nil
	}
	if err != nil {
		return Identity{}, err
	}
	id.PasswordHash, err = ParsePasswordHash(hash)
	return id, err
}

func (d *DB) config(ctx context.Context, key string) (string, error) {
	var v any
	err := d.conn.QueryRowContext(ctx, "SELECT value FROM config WHERE key = ?", key).Scan(&v)
	if err != nil {
		return "", classifyRead(err, "config "+key)
	}
	return text(v), nil
}

// Mailbox is one of Yggmail's mailboxes, with the number and total size
// of its messages.
type Mailbox struct {
	Name       string
	Subscribed bool
	Messages   int64
	Bytes      int64
	Largest    int64 // the size of its largest message
}

// Mailboxes lists the mailboxes, INBOX first, then by name. A mailbox
// that holds messages but has no row of its own (Yggmail's foreign keys
// are not enforced by SQLite unless asked) is listed, unsubscribed.
func (d *DB) Mailboxes(ctx context.Context) ([]Mailbox, error) {
	boxes, err := d.mailboxRows(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.countMessages(ctx, boxes); err != nil {
		return nil, err
	}
	list := make([]Mailbox, 0, len(boxes))
	for _, b := range boxes {
		list = append(list, *b)
	}
	slices.SortFunc(list, func(a, b Mailbox) int {
		return cmp.Or(cmp.Compare(notInbox(a.Name), notInbox(b.Name)), strings.Compare(a.Name, b.Name))
	})
	return list, nil
}

func notInbox(name string) int {
	if name == "INBOX" {
		return 0
	}
	return 1
}

func (d *DB) mailboxRows(ctx context.Context) (map[string]*Mailbox, error) {
	boxes := map[string]*Mailbox{}
	rows, err := d.conn.QueryContext(ctx, "SELECT mailbox, subscribed FROM mailboxes")
	if err != nil {
		return nil, classifyRead(err, "mailboxes")
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var sub any
		if err := rows.Scan(&name, &sub); err != nil {
			return nil, classifyRead(err, "mailboxes")
		}
		on, err := parseBool(sub)
		if err != nil {
			return nil, fmt.Errorf("mailbox %q: subscribed: %w", name, err)
		}
		boxes[name] = &Mailbox{Name: name, Subscribed: on}
	}
	return boxes, classifyRead(rows.Err(), "mailboxes")
}

// countMessages fills in the counts and sizes, adding the mailboxes that
// only mails names. length() of a blob reads no overflow pages, so this
// costs a pass over the index, not over the mail.
func (d *DB) countMessages(ctx context.Context, boxes map[string]*Mailbox) error {
	rows, err := d.conn.QueryContext(ctx, "SELECT mailbox, COUNT(*), IFNULL(SUM(LENGTH(mail)), 0), IFNULL(MAX(LENGTH(mail)), 0) FROM mails GROUP BY mailbox")
	if err != nil {
		return classifyRead(err, "mails")
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var count, size, largest int64
		if err := rows.Scan(&name, &count, &size, &largest); err != nil {
			return classifyRead(err, "mails")
		}
		if boxes[name] == nil {
			boxes[name] = &Mailbox{Name: name}
		}
		boxes[name].Messages, boxes[name].Bytes, boxes[name].Largest = count, size, largest
	}
	return classifyRead(rows.Err(), "mails")
}

// Message is one row of mails.
type Message struct {
	Mailbox                          string
	ID                               int64
	Body                             []byte
	Date                             time.Time // when Yggmail stored it, to the second
	Seen, Answered, Flagged, Deleted bool
}

// Flags returns the message's flags in IMAP form.
func (m Message) Flags() []string {
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{{m.Seen, `\Seen`}, {m.Answered, `\Answered`}, {m.Flagged, `\Flagged`}, {m.Deleted, `\Deleted`}} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	return flags
}

const messageColumns = "id, mail, datetime, seen, answered, flagged, deleted"

// Messages calls fn for each message of mailbox with an id above after,
// in id order, one at a time: fn may keep msg.Body, which is not reused,
// but Messages holds no other message meanwhile. An error from fn stops
// the walk and is returned.
func (d *DB) Messages(ctx context.Context, mailbox string, after int64, fn func(msg Message) error) error {
	rows, err := d.conn.QueryContext(ctx, "SELECT "+messageColumns+" FROM mails WHERE mailbox = ? AND id > ? ORDER BY id", mailbox, after)
	if err != nil {
		return classifyRead(err, "mails")
	}
	defer rows.Close()
	for rows.Next() {
		msg, err := scanMessage(rows, mailbox)
		if err != nil {
			return err
		}
		if err := fn(msg); err != nil {
			return err
		}
	}
	return classifyRead(rows.Err(), "mails")
}

// Message reads the message mailbox/id; sql.ErrNoRows if there is none.
func (d *DB) Message(ctx context.Context, mailbox string, id int64) (Message, error) {
	row := d.conn.QueryRowContext(ctx, "SELECT "+messageColumns+" FROM mails WHERE mailbox = ? AND id = ?", mailbox, id)
	return scanMessage(row, mailbox)
}

func scanMessage(row interface{ Scan(...any) error }, mailbox string) (Message, error) {
	msg := Message{Mailbox: mailbox}
	var date, seen, answered, flagged, deleted any
	if err := row.Scan(&msg.ID, &msg.Body, &date, &seen, &answered, &flagged, &deleted); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return msg, err
		}
		return msg, classifyRead(err, "mails")
	}
	var errs [5]error
	msg.Date, errs[0] = parseTime(date)
	msg.Seen, errs[1] = parseBool(seen)
	msg.Answered, errs[2] = parseBool(answered)
	msg.Flagged, errs[3] = parseBool(flagged)
	msg.Deleted, errs[4] = parseBool(deleted)
	if err := errors.Join(errs[:]...); err != nil {
		return msg, fmt.Errorf("message %s/%d: %w", mailbox, msg.ID, err)
	}
	return msg, nil
}

// Queued is a message still to send: the mails row (Mailbox, ID), from
// From to each of Recipients, as Yggmail wrote them.
type Queued struct {
	Mailbox    string
	ID         int64
	From       string
	Recipients []string
}

// Queue lists the messages still to send, one entry per message with
// every recipient (Yggmail keeps a row per recipient), by mailbox and id.
func (d *DB) Queue(ctx context.Context) ([]Queued, error) {
	rows, err := d.conn.QueryContext(ctx, "SELECT mailbox, id, mail, rcpt FROM queue ORDER BY mailbox, id, rcpt")
	if err != nil {
		return nil, classifyRead(err, "queue")
	}
	defer rows.Close()
	var list []Queued
	for rows.Next() {
		var q Queued
		var rcpt string
		if err := rows.Scan(&q.Mailbox, &q.ID, &q.From, &rcpt); err != nil {
			return nil, classifyRead(err, "queue")
		}
		if n := len(list); n > 0 && list[n-1].Mailbox == q.Mailbox && list[n-1].ID == q.ID {
			list[n-1].Recipients = append(list[n-1].Recipients, rcpt)
			continue
		}
		q.Recipients = []string{rcpt}
		list = append(list, q)
	}
	return list, classifyRead(rows.Err(), "queue")
}

// classifyRead names what was being read in an error from SQLite.
func classifyRead(err error, what string) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return fmt.Errorf("read %s: %w", what, classify(err))
}

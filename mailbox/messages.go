package mailbox

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// System flags. Flags are stored in this canonical spelling; other flags
// are keywords (atoms without a leading backslash). \Recent is never stored.
const (
	FlagSeen     = `\Seen`
	FlagAnswered = `\Answered`
	FlagFlagged  = `\Flagged`
	FlagDeleted  = `\Deleted`
	FlagDraft    = `\Draft`
)

// DeliveredTTL is how long an envelope id given to Append is remembered for
// de-duplication.
const DeliveredTTL = 90 * 24 * time.Hour

// Message describes one message of a mailbox (without its body).
type Message struct {
	UID          uint32
	Flags        []string // sorted, canonical, no duplicates
	Size         int64
	InternalDate time.Time // in a fixed zone: the offset Append was given, UTC for a record written without one
	ModSeq       uint64
}

// AppendOptions are the optional parts of Append.
type AppendOptions struct {
	Flags []string
	Date  time.Time // internal date, kept with its zone offset; zero means now, in the local zone
	// EnvelopeID, if set, is the de-duplication key of a delivered
	// envelope: a second Append with the same id (within DeliveredTTL)
	// stores nothing and reports duplicate.
	EnvelopeID *[16]byte
}

// FlagOp says how StoreFlags combines the given flags with the present ones.
type FlagOp int

const (
	FlagsAdd FlagOp = iota
	FlagsRemove
	FlagsReplace
)

// Messages lists the messages of mailbox sorted by UID. A record that
// cannot be decoded is logged and left out.
func (s *Store) Messages(mailbox string) ([]Message, error) {
	l, err := s.List(mailbox)
	return l.Messages, err
}

// Listing is a mailbox's messages with the mailbox's counters, read in one
// transaction.
type Listing struct {
	Messages []Message // in UID order
	// ModSeq is the mailbox's HIGHESTMODSEQ: it counts exactly the changes
	// Messages shows (IMAP CONDSTORE needs both to agree, or a client
	// could skip a change), so a change feed's event with a higher MODSEQ
	// is one Messages does not show yet.
	ModSeq uint64
	// UIDNext is the UID the next message will get: every UID below it
	// was added already, and is in Messages unless it was expunged.
	UIDNext uint32
}

// List reads the messages of mailbox and its counters (Listing).
func (s *Store) List(mailbox string) (Listing, error) {
	if err := s.enter(); err != nil {
		return Listing{}, err
	}
	defer s.leave()
	var rec mailboxRec
	var recs []messageRec
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		if rec, err = lookup(txn, mailbox); err != nil {
			return err
		}
		recs = s.readMessages(txn, rec.id)
		return nil
	})
	if err != nil {
		return Listing{}, fmt.Errorf("list messages of %q: %w", mailbox, err)
	}
	out := make([]Message, len(recs))
	for i := range recs {
		out[i] = recs[i].public()
	}
	return Listing{Messages: out, ModSeq: rec.ModSeq, UIDNext: rec.UIDNext}, nil
}

// listMessages reads the message records of mailbox id in UID order.
func (s *Store) listMessages(id uint32) ([]messageRec, error) {
	var recs []messageRec
	err := s.db.View(func(txn *badger.Txn) error {
		recs = s.readMessages(txn, id)
		return nil
	})
	return recs, err
}

// readMessages reads the message records of mailbox id in UID order within
// txn; a record that cannot be decoded is logged and skipped.
func (s *Store) readMessages(txn *badger.Txn, id uint32) []messageRec {
	var recs []messageRec
	o := badger.DefaultIteratorOptions
	o.Prefix = messagePrefix(id)
	it := txn.NewIterator(o)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		m, err := decodeMessageItem(it.Item())
		if err != nil {
			s.log.Error("message record skipped", "key", fmt.Sprintf("%x", it.Item().Key()), "err", err)
			continue
		}
		recs = append(recs, m)
	}
	return recs
}

func decodeMessageItem(item *badger.Item) (messageRec, error) {
	uid, ok := uidFromKey(item.Key())
	if !ok {
		return messageRec{}, fmt.Errorf("%w: message key", ErrCorrupt)
	}
	var m messageRec
	err := item.Value(func(v []byte) error {
		var err error
		m, err = decodeMessage(v)
		return err
	})
	m.uid = uid
	return m, err
}

// loadMessage reads one message record; ErrNotFound if there is none.
func loadMessage(txn *badger.Txn, id, uid uint32) (messageRec, error) {
	item, err := txn.Get(messageKey(id, uid))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return messageRec{}, fmt.Errorf("message %d: %w", uid, ErrNotFound)
	}
	if err != nil {
		return messageRec{}, fmt.Errorf("read message %d: %w", uid, err)
	}
	m, err := decodeMessageItem(item)
	if err != nil {
		return m, fmt.Errorf("read message %d: %w", uid, err)
	}
	return m, nil
}

// OpenMessage streams the body of message uid, or of an expunged message
// a retaining watcher still holds (WatchRetaining). The reader sees a
// snapshot: it keeps working if the message is expunged meanwhile. The
// caller must Close it.
func (s *Store) OpenMessage(mailbox string, uid uint32) (io.ReadCloser, error) {
	return s.openMessage(boxRef{name: mailbox}, uid)
}

// OpenMessage is Store.OpenMessage of the mailbox pinned. The name is
// checked in the read transaction the body is streamed from, so the bytes
// are those of the mailbox pinned even if a rename and a create land
// between a Check and the read.
func (p Pinned) OpenMessage(uid uint32) (io.ReadCloser, error) {
	return p.s.openMessage(p.ref, uid)
}

func (s *Store) openMessage(ref boxRef, uid uint32) (io.ReadCloser, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	txn := s.db.NewTransaction(false)
	rec, err := lookup(txn, ref.name)
	if err := ref.check(&rec, err); err != nil {
		txn.Discard()
		return nil, fmt.Errorf("open message: %w", err)
	}
	m, _, err := loadMessageOrExpunged(txn, rec.id, uid)
	if err != nil {
		txn.Discard()
		return nil, fmt.Errorf("open message in %q: %w", rec.Name, err)
	}
	return s.newBlobReader(txn, m.Blob, m.Size), nil
}

// normalUIDs returns uids sorted without duplicates.
func normalUIDs(uids []uint32) []uint32 {
	out := slices.Clone(uids)
	slices.Sort(out)
	return slices.Compact(out)
}

// add stores m as a new message of rec, taking the next UID and MODSEQ and
// a reference to its blob.
func (b *batch) add(rec *mailboxRec, m messageRec) (messageRec, error) {
	if rec.UIDNext == math.MaxUint32 {
		return m, fmt.Errorf("mailbox %q: UIDs exhausted", rec.Name)
	}
	m.uid = rec.UIDNext
	rec.UIDNext++
	rec.ModSeq++
	m.ModSeq = rec.ModSeq
	if err := b.set(messageKey(rec.id, m.uid), m.encode()); err != nil {
		return m, fmt.Errorf("add message to %q: %w", rec.Name, err)
	}
	if err := b.addRef(m.Blob); err != nil {
		return m, err
	}
	rec.Messages++
	rec.Size += m.Size
	if !m.seen() {
		rec.Unseen++
	}
	b.note(rec, Added, &m)
	return m, nil
}

// remove deletes message m from rec and releases its blob reference, or,
// while a retaining watcher of rec is open, retains it.
func (b *batch) remove(rec *mailboxRec, m *messageRec) error {
	if err := b.del(messageKey(rec.id, m.uid)); err != nil {
		return fmt.Errorf("remove message %d from %q: %w", m.uid, rec.Name, err)
	}
	var err error
	if b.s.watch.retaining(rec.id) {
		err = b.retain(rec, m)
	} else {
		err = b.dropSizedRef(m.Blob, m.Size)
	}
	if err != nil {
		return err
	}
	rec.ModSeq++
	rec.Messages--
	rec.Size -= m.Size
	if !m.seen() {
		rec.Unseen--
	}
	b.note(rec, Expunged, m)
	return nil
}

// transfer adds a copy of m to dst and, if move, removes it from src.
func (b *batch) transfer(src *mailboxRec, m *messageRec, dst *mailboxRec, move bool) (uint32, error) {
	c, err := b.add(dst, messageRec{Flags: m.Flags, Size: m.Size, Date: m.Date, Blob: m.Blob})
	if err != nil || !move {
		return c.uid, err
	}
	return c.uid, b.remove(src, m)
}

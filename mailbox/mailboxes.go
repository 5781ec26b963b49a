package mailbox

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Names of the mailboxes that exist in every new store.
const (
	Inbox   = "INBOX"
	Sent    = "Sent"
	Drafts  = "Drafts"
	Trash   = "Trash"
	Junk    = "Junk"
	Archive = "Archive"
)

// Separator is the hierarchy delimiter of mailbox names.
const Separator = "/"

// defaultMailboxes are created, subscribed, when a store is new, with their
// RFC 6154 special-use attributes. Only INBOX is re-created if missing.
var defaultMailboxes = []struct{ name, use string }{
	{Inbox, ""}, {Sent, `\Sent`}, {Drafts, `\Drafts`},
	{Trash, `\Trash`}, {Junk, `\Junk`}, {Archive, `\Archive`},
}

// Mailbox describes one mailbox.
type Mailbox struct {
	Name        string // canonical name; INBOX is always "INBOX"
	SpecialUse  string // `\Sent`, `\Drafts`, `\Trash`, `\Junk`, `\Archive` or ""
	Subscribed  bool   // the name is among the Subscriptions
	UIDValidity uint32
}

// Status holds the counters of one mailbox (IMAP STATUS / SELECT).
type Status struct {
	Messages      uint32
	Unseen        uint32 // messages without \Seen
	UIDNext       uint32
	UIDValidity   uint32
	HighestModSeq uint64
	Size          int64 // sum of message sizes
	// RecentUID is the highest UID claimed as \Recent (SetRecentUID);
	// Recent counts the messages above it, recent for whichever IMAP
	// session learns of them first (RFC 3501 2.3.2).
	RecentUID uint32
	Recent    uint32
}

// createDefaults creates and subscribes the default mailboxes of a new
// store, re-creates a missing INBOX, and builds the subscription set of a
// store written before the set existed, all in one commit.
func (s *Store) createDefaults() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer s.finish(b)
	_, err := b.get(counterKey("mailbox"))
	fresh := errors.Is(err, ErrNotFound)
	if err != nil && !fresh {
		return fmt.Errorf("create default mailboxes: %w", err)
	}
	for _, d := range defaultMailboxes {
		if !fresh && d.name != Inbox {
			continue
		}
		_, err := b.create(d.name, d.use)
		if errors.Is(err, ErrExists) {
			continue
		}
		if err == nil {
			err = b.setSubscribed(d.name, true)
		}
		if err != nil {
			return fmt.Errorf("create default mailboxes: %w", err)
		}
	}
	if err := s.migrateSubscriptions(b); err != nil {
		return err
	}
	return b.commit()
}

// create makes the mailbox name (canonical) with a new id and UIDVALIDITY.
func (b *batch) create(name, specialUse string) (*mailboxRec, error) {
	if _, err := b.get(nameKey(name)); err == nil {
		return nil, fmt.Errorf("mailbox %q: %w", name, ErrExists)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("create mailbox %q: %w", name, err)
	}
	id, err := b.nextCounter("mailbox", 1)
	if err != nil {
		return nil, err
	}
	if id > 1<<32-1 {
		return nil, fmt.Errorf("create mailbox %q: mailbox ids exhausted", name)
	}
	uv, err := b.nextUIDValidity()
	if err != nil {
		return nil, err
	}
	rec := &mailboxRec{id: uint32(id), Name: name, SpecialUse: specialUse, UIDValidity: uv, UIDNext: 1, ModSeq: 1}
	if err := b.set(nameKey(name), be32(rec.id)); err != nil {
		return nil, fmt.Errorf("create mailbox %q: %w", name, err)
	}
	b.boxes[rec.id] = rec
	return rec, nil
}

// createParents creates the missing ancestors of name.
func (b *batch) createParents(name string) error {
	for _, p := range parents(name) {
		if _, err := b.create(p, ""); err != nil && !errors.Is(err, ErrExists) {
			return err
		}
	}
	return nil
}

// nextCounter increments the store-wide counter name; a new counter starts
// at first.
func (b *batch) nextCounter(name string, first uint64) (uint64, error) {
	v, err := b.get(counterKey(name))
	n := first
	switch {
	case err == nil:
		old, err := getUint64(v)
		if err != nil {
			return 0, fmt.Errorf("counter %q: %w", name, err)
		}
		n = old + 1
	case !errors.Is(err, ErrNotFound):
		return 0, fmt.Errorf("counter %q: %w", name, err)
	}
	if err := b.set(counterKey(name), putUint64(n)); err != nil {
		return 0, fmt.Errorf("counter %q: %w", name, err)
	}
	return n, nil
}

// nextUIDValidity draws a UIDVALIDITY that no mailbox of this store had
// before: a counter that starts at the current Unix time and skips 0.
func (b *batch) nextUIDValidity() (uint32, error) {
	for {
		n, err := b.nextCounter("uidvalidity", uint64(uint32(time.Now().Unix())))
		if err != nil || uint32(n) != 0 {
			return uint32(n), err
		}
	}
}

// Mailboxes lists all mailboxes sorted by name. A record that cannot be
// decoded is logged and left out.
func (s *Store) Mailboxes() ([]Mailbox, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var recs []mailboxRec
	var subscribed []string
	err := s.db.View(func(txn *badger.Txn) error {
		recs = s.mailboxesIn(txn)
		subscribed = s.subscribedWithin(txn, "")
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list mailboxes: %w", err)
	}
	out := make([]Mailbox, 0, len(recs))
	for _, r := range recs {
		mb := r.public()
		_, mb.Subscribed = slices.BinarySearch(subscribed, mb.Name)
		out = append(out, mb)
	}
	slices.SortFunc(out, func(a, b Mailbox) int { return compareStrings(a.Name, b.Name) })
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *Store) allMailboxes() ([]mailboxRec, error) {
	var recs []mailboxRec
	err := s.db.View(func(txn *badger.Txn) error {
		recs = s.mailboxesIn(txn)
		return nil
	})
	return recs, err
}

// mailboxesIn reads every mailbox record that decodes.
func (s *Store) mailboxesIn(txn *badger.Txn) []mailboxRec {
	var recs []mailboxRec
	o := badger.DefaultIteratorOptions
	o.Prefix = []byte{tagMailbox}
	it := txn.NewIterator(o)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		rec, err := s.decodeMailboxItem(it.Item())
		if err != nil {
			s.log.Error("mailbox record skipped", "key", fmt.Sprintf("%x", it.Item().Key()), "err", err)
			continue
		}
		recs = append(recs, rec)
	}
	return recs
}

func (s *Store) decodeMailboxItem(item *badger.Item) (mailboxRec, error) {
	id, ok := idFromKey(item.Key())
	if !ok {
		return mailboxRec{}, fmt.Errorf("%w: mailbox key", ErrCorrupt)
	}
	var rec mailboxRec
	err := item.Value(func(v []byte) error {
		var err error
		rec, err = decodeMailbox(v)
		return err
	})
	rec.id = id
	return rec, err
}

// CreateMailbox creates name (and any missing parent levels, separated by
// "/") with a fresh UIDVALIDITY. It returns ErrExists if name exists and
// ErrBadName for an invalid name. A name equal to INBOX in any case is INBOX.
func (s *Store) CreateMailbox(name string) error {
	return s.CreateSpecialMailbox(name, "")
}

// CreateSpecialMailbox is CreateMailbox with an RFC 6154 special-use
// attribute for the new mailbox (parents get none): one of `\Sent`,
// `\Drafts`, `\Trash`, `\Junk`, `\Archive` in any case, or "" for none.
// Any other attribute gives ErrBadSpecialUse. Several mailboxes may share
// one attribute.
func (s *Store) CreateSpecialMailbox(name, specialUse string) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	cname, err := canonName(name)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	use, err := canonSpecialUse(specialUse)
	if err != nil {
		return fmt.Errorf("create %q: %w", cname, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer s.finish(b)
	if err := b.createParents(cname); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	if _, err := b.create(cname, use); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	return b.commit()
}

// canonSpecialUse returns the canonical spelling of a supported special-use
// attribute.
func canonSpecialUse(use string) (string, error) {
	if use == "" {
		return "", nil
	}
	for _, d := range defaultMailboxes {
		if d.use != "" && strings.EqualFold(d.use, use) {
			return d.use, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrBadSpecialUse, use)
}

// Status returns the counters of name, or ErrNoMailbox.
func (s *Store) Status(name string) (Status, error) {
	if err := s.enter(); err != nil {
		return Status{}, err
	}
	defer s.leave()
	var st Status
	err := s.db.View(func(txn *badger.Txn) error {
		rec, err := lookup(txn, name)
		if err != nil {
			return err
		}
		st = rec.status()
		st.Recent = countFrom(txn, rec.id, rec.RecentUID+1)
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("status: %w", err)
	}
	return st, nil
}

// countFrom counts the messages of mailbox id whose UID is at least uid,
// reading keys only.
func countFrom(txn *badger.Txn, id, uid uint32) uint32 {
	it := keyIterator(txn, messagePrefix(id))
	defer it.Close()
	var n uint32
	for it.Seek(messageKey(id, uid)); it.Valid(); it.Next() {
		n++
	}
	return n
}

// SetRecentUID records that the messages of name up to uid are claimed as
// \Recent by an IMAP session, so that no later session, even after a
// restart, sees them as recent again. The mark only grows, and never past
// the last UID given out; it is not a change of the mailbox (no MODSEQ).
func (s *Store) SetRecentUID(name string, uid uint32) error {
	return s.setRecentUID(boxRef{name: name}, uid)
}

// SetRecentUID is Store.SetRecentUID of the mailbox pinned: a session's
// claim never raises the mark of a mailbox given the name since.
func (p Pinned) SetRecentUID(uid uint32) error {
	return p.s.setRecentUID(p.ref, uid)
}

func (s *Store) setRecentUID(ref boxRef, uid uint32) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	ref, err := ref.canon()
	if err != nil {
		return fmt.Errorf("set recent: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer s.finish(b)
	rec, err := b.mailboxAt(ref)
	if err != nil {
		return fmt.Errorf("set recent: %w", err)
	}
	uid = min(uid, rec.UIDNext-1)
	if uid <= rec.RecentUID {
		return nil
	}
	rec.RecentUID = uid
	if err := b.commit(); err != nil {
		return fmt.Errorf("set recent in %q: %w", ref.name, err)
	}
	return nil
}

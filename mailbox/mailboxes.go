package mailbox

// Names of the mailboxes that exist in every store, and their RFC 6154
// special-use attributes.
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

// Mailbox describes one mailbox.
type Mailbox struct {
	Name        string // canonical name; INBOX is always "INBOX"
	SpecialUse  string // "\Sent", "\Drafts", "\Trash", "\Junk", "\Archive" or ""
	Subscribed  bool
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
}

// Mailboxes lists all mailboxes sorted by name.
func (s *Store) Mailboxes() ([]Mailbox, error) {
	return nil, errNotImplemented
}

// CreateMailbox creates name (and any missing parent levels, separated by
// "/") with a fresh UIDVALIDITY. It returns ErrExists if name exists and
// ErrBadName for an invalid name. A name equal to INBOX in any case is INBOX.
func (s *Store) CreateMailbox(name string) error {
	return errNotImplemented
}

// DeleteMailbox deletes name and all its messages. Mailboxes below it in the
// hierarchy are kept. INBOX cannot be deleted (ErrInboxDelete). Watchers of
// the mailbox are closed with Err() == ErrNoMailbox.
func (s *Store) DeleteMailbox(name string) error {
	return errNotImplemented
}

// RenameMailbox renames oldName and every mailbox below it. The messages,
// UIDs and UIDVALIDITY move with it. Renaming INBOX moves all its messages
// into a new mailbox newName and leaves INBOX empty (RFC 9051 6.3.6).
func (s *Store) RenameMailbox(oldName, newName string) error {
	return errNotImplemented
}

// SetSubscribed sets the subscription of an existing mailbox.
func (s *Store) SetSubscribed(name string, on bool) error {
	return errNotImplemented
}

// Status returns the counters of name, or ErrNoMailbox.
func (s *Store) Status(name string) (Status, error) {
	return Status{}, errNotImplemented
}

package mailbox

import (
	"io"
	"time"
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

// Message describes one message of a mailbox (without its body).
type Message struct {
	UID          uint32
	Flags        []string // sorted, canonical, no duplicates
	Size         int64
	InternalDate time.Time
	ModSeq       uint64
}

// AppendOptions are the optional parts of Append.
type AppendOptions struct {
	Flags []string
	Date  time.Time // internal date; zero means now
	// EnvelopeID, if set, is the de-duplication key of a delivered
	// envelope: a second Append with the same id (within 90 days) stores
	// nothing and reports duplicate.
	EnvelopeID *[16]byte
}

// FlagOp says how StoreFlags combines the given flags with the present ones.
type FlagOp int

const (
	FlagsAdd FlagOp = iota
	FlagsRemove
	FlagsReplace
)

// Append stores body as a new message in mailbox. It returns once the body
// and the index entry are durable. With opts.EnvelopeID set to an id already
// delivered, it stores nothing and returns duplicate == true. A body larger
// than Options.MaxMessageSize gives ErrTooLarge.
func (s *Store) Append(mailbox string, body io.Reader, opts AppendOptions) (m Message, duplicate bool, err error) {
	return Message{}, false, errNotImplemented
}

// Messages lists the messages of mailbox sorted by UID.
func (s *Store) Messages(mailbox string) ([]Message, error) {
	return nil, errNotImplemented
}

// OpenMessage streams the body of message uid. The reader sees a snapshot:
// it keeps working if the message is expunged meanwhile. The caller must
// Close it.
func (s *Store) OpenMessage(mailbox string, uid uint32) (io.ReadCloser, error) {
	return nil, errNotImplemented
}

// StoreFlags changes the flags of the given messages (UIDs that do not
// exist are skipped) and returns the updated messages in UID order. Each
// changed message gets a new MODSEQ; unchanged ones are returned as they are.
func (s *Store) StoreFlags(mailbox string, uids []uint32, op FlagOp, flags []string) ([]Message, error) {
	return nil, errNotImplemented
}

// Expunge removes messages from mailbox: the given UIDs if uids is non-nil
// (only those flagged \Deleted, as IMAP UID EXPUNGE requires), otherwise all
// flagged \Deleted. It returns the expunged UIDs in ascending order.
func (s *Store) Expunge(mailbox string, uids []uint32) ([]uint32, error) {
	return nil, errNotImplemented
}

// Copy copies the given messages (UIDs that do not exist are skipped) to
// dst with their flags and internal dates, and returns the source UIDs and
// the new destination UIDs in matching order (for COPYUID).
func (s *Store) Copy(src string, uids []uint32, dst string) (srcUIDs, dstUIDs []uint32, err error) {
	return nil, nil, errNotImplemented
}

// Move is Copy followed by removal from src, in one transaction.
func (s *Store) Move(src string, uids []uint32, dst string) (srcUIDs, dstUIDs []uint32, err error) {
	return nil, nil, errNotImplemented
}

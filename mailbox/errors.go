package mailbox

import "errors"

// Errors returned by the Store. Callers test them with errors.Is; the
// returned error wraps them with the operation and its argument.
var (
	// ErrNotFound: no such setting, message or outbound envelope.
	ErrNotFound = errors.New("not found")
	// ErrNoMailbox: the named mailbox does not exist.
	ErrNoMailbox = errors.New("no such mailbox")
	// ErrMailboxChanged: a Pinned mailbox's name now belongs to another
	// mailbox (another UIDVALIDITY) or to none: the one pinned was renamed
	// or deleted.
	ErrMailboxChanged = errors.New("mailbox renamed or deleted")
	// ErrExists: a mailbox with that name already exists.
	ErrExists = errors.New("mailbox already exists")
	// ErrBadName: the mailbox name is empty, too long, not UTF-8, or has
	// control characters, wildcards or empty hierarchy levels.
	ErrBadName = errors.New("invalid mailbox name")
	// ErrBadFlag: a flag is not a known system flag nor a valid keyword.
	ErrBadFlag = errors.New("invalid flag")
	// ErrBadSpecialUse: a special-use attribute the store does not offer.
	ErrBadSpecialUse = errors.New("unsupported special-use attribute")
	// ErrInboxDelete: INBOX cannot be deleted.
	ErrInboxDelete = errors.New("INBOX cannot be deleted")
	// ErrTooLarge: a body exceeds Options.MaxMessageSize.
	ErrTooLarge = errors.New("message too large")
	// ErrOutboxFull: the outbox would exceed its count or byte bound.
	ErrOutboxFull = errors.New("outbox full")
	// ErrCorrupt: a value on disk could not be decoded.
	ErrCorrupt = errors.New("corrupt record")
	// ErrClosed: the Store has been closed.
	ErrClosed = errors.New("store closed")
	// ErrOverflow is the Watcher.Err of a watcher that fell too far behind;
	// its channel is closed and the reader must re-read the mailbox.
	ErrOverflow = errors.New("change feed overflow")
)

package mailbox

// ChangeKind says what happened to a message.
type ChangeKind int

const (
	Added ChangeKind = iota
	FlagsChanged
	Expunged
)

// Change is one event of a mailbox's change feed.
type Change struct {
	Mailbox string // name at the time of the change
	Kind    ChangeKind
	UID     uint32
	Flags   []string // new flags for Added and FlagsChanged
	ModSeq  uint64   // the mailbox's MODSEQ after the change
}

// WatchBuffer is the number of changes a watcher may fall behind before it
// overflows.
const WatchBuffer = 1024

// Watcher receives the changes of one mailbox, in MODSEQ order, made by any
// goroutine after Watch returned.
//
// Policy for slow readers: writers never block. If a watcher's buffer is
// full, the watcher is dropped: its channel is closed and Err returns
// ErrOverflow; the reader must re-read the mailbox (Messages, Status) and
// Watch again. When the mailbox is deleted the channel is closed with
// Err() == ErrNoMailbox, and when the Store closes, with ErrClosed.
type Watcher struct {
	c chan Change
}

// Watch subscribes to the changes of mailbox.
func (s *Store) Watch(mailbox string) (*Watcher, error) {
	return nil, errNotImplemented
}

// C returns the channel of changes. It is closed when the watcher ends.
func (w *Watcher) C() <-chan Change { return w.c }

// Err returns why the channel was closed, or nil while it is open or after
// Close.
func (w *Watcher) Err() error { return nil }

// Close unsubscribes the watcher; its channel is closed.
func (w *Watcher) Close() {}

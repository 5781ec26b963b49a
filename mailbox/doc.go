// Package mailbox is the local mail store of one Yggpost user. It owns every
// byte of user state on disk: settings (node key, password hash), IMAP
// mailboxes with their UIDs, UIDVALIDITY, MODSEQ and flags, message bodies,
// the outbox of messages waiting for delivery (one row per recipient, each
// holding the message as the user submitted it, unsealed: it is sealed as
// it is sent), and the set of envelope ids already delivered (for
// exactly-once delivery). It knows no protocol: IMAP and SMTP front ends
// and the delivery queue sit on top of it.
//
// All state lives in one Badger database opened with SyncWrites, so every
// commit is fsynced before the call that made it returns: nothing is
// acknowledged before it is durable.
//
// # On-disk key layout
//
// Keys start with a one-byte table tag. Integers are big-endian so that
// keys sort numerically.
//
//	"s" + name                     setting value (raw bytes)
//	"g" + name                     global counter (uint64): "mailbox" (last
//	                               mailbox id), "uidvalidity" (last UIDVALIDITY)
//	"n" + mailbox name             mailbox id (uint32); INBOX is stored as "INBOX"
//	"b" + mailbox id               mailbox record (name, special use, the
//	                               subscription flag of stores from before
//	                               "u", UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ,
//	                               message count, unseen, size, highest UID
//	                               claimed as \Recent)
//	"u" + mailbox name             empty: the name is subscribed, whether or
//	                               not a mailbox of that name exists
//	"m" + migration name           empty: the migration has run; "subscriptions"
//	                               built "u" from the records' flags
//	"i" + mailbox id + uid         message record (flags, size, internal date,
//	                               modseq, blob id; then the internal date's
//	                               zone offset, only if it is not UTC)
//	"x" + mailbox id + uid         record of an expunged message retained for
//	                               open watchers (WatchRetaining), holding
//	                               its blob reference
//	"c" + blob id + chunk index    one chunk of a body (at most chunkSize bytes)
//	"r" + blob id                  blob reference count (uint32)
//	"d" + envelope id              delivered-envelope marker (mailbox id + uid),
//	                               expiring after DeliveredTTL (a Badger TTL)
//	"o" + envelope id              outbox record (recipient, size, times,
//	                               attempts, last error, blob id; then the
//	                               Sent copy key, custody time, custodians
//	                               and delay-notice flag)
//	"w" + Sent copy key + envelope id
//	                               empty: an outbox row of that Sent copy
//	                               (other recipients still waiting)
//
// A blob id is 16 random bytes; message copies share a blob and count
// references in "r". Records are a version byte followed by fields in a
// fixed order; decoders reject anything short, long or unknown with
// ErrCorrupt.
//
// # Invariants
//
//   - A body of one chunk or more is written in its own transactions (a
//     few MiB each, so memory use does not grow with the body) before the
//     record that references it; the record, the reference count and, for
//     Append, the envelope id are committed last, in one transaction. A
//     crash in between leaves only chunks without a reference count
//     ("orphans"), which Open deletes. A body shorter than one chunk is
//     written in that same last transaction. The chunk mechanism (writing,
//     streaming, deleting, sweeping) is internal/chunkstore's.
//   - A blob's chunks are deleted only after the transaction that dropped
//     its last reference has committed; those freed by one transaction are
//     deleted together, in one more. A body of one chunk (an outbox row or
//     a message whose size is known) goes in the same transaction as its
//     last reference instead.
//   - Message records whose mailbox record is gone (a crash during
//     DeleteMailbox) are removed by Open, and their references released.
//   - UIDVALIDITY is allocated from a store-wide counter when a mailbox is
//     created, so a deleted and re-created mailbox gets a new one. UIDNEXT and
//     HIGHESTMODSEQ live in the mailbox record and only ever grow. Every
//     change to a mailbox (append, flags, expunge) takes a new MODSEQ.
//   - A Pinned mailbox (Store.Pin: a name and the UIDVALIDITY it had)
//     is checked in the transaction that reads or writes it (a write under
//     the mutex that orders renames and deletions): its UIDs never address
//     the messages of a mailbox given the name since (ErrMailboxChanged).
//   - The message count, unseen count and total size in the mailbox record
//     are updated in the same transaction as the message records.
//   - \Recent is not a stored flag. The mailbox record keeps the highest
//     UID an IMAP session claimed as recent (SetRecentUID); it only grows,
//     so a message is recent for one session only, also across restarts.
//   - A message expunged (or moved away) while a retaining watcher of its
//     mailbox is open keeps its record under "x" and its blob reference
//     until every watcher open at that moment has released it; Open drops
//     all of them. Counters never include them.
//   - All index writes are serialised by one mutex in the Store, so UID
//     allocation is race-free and the change feed is delivered in MODSEQ
//     order. Body chunks are written outside that mutex.
//   - Small index writes of concurrent callers (the last transaction of
//     Append and Enqueue, UpdateOutbound, SaveOutbound, DeleteOutbound,
//     a flag change of up to four messages) are group-committed: the
//     first caller takes every such write waiting, applies them in order
//     to one transaction under the mutex, commits once and answers each
//     (internal/chunkstore's Committer). None returns before the commit
//     holding it is fsynced. A group holds at most 32 writes and 4 MiB
//     of small bodies, and never spans two transactions. A write that is
//     refused before it writes anything (a missing mailbox or row, an id
//     queued already, a full outbox) fails alone; should one fail after
//     writing, the group's transaction is discarded and each write runs
//     again alone. An envelope id appended twice in one group is stored
//     once: the transaction reads its own writes. Outbox totals change
//     only when the transaction that wrote the rows commits.
//   - An operation on many messages (StoreFlags, Expunge, Copy, Move,
//     DeleteMailbox) commits every few hundred writes, as Badger bounds a
//     transaction's size. Each commit carries the updated mailbox records,
//     so counters always match the messages; a crash may leave such an
//     operation half done (a moved message in both mailboxes), never a
//     message lost. Changes reach watchers only once committed.
//   - A record that cannot be decoded is reported as ErrCorrupt where it is
//     asked for, and logged and skipped in listings (Mailboxes, Messages,
//     Outbox), so one bad record does not hide the rest.
package mailbox

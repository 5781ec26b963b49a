// Package imapd is the IMAP front end of a Yggpost node: it serves the
// user's mailbox store (package mailbox) to ordinary mail clients over
// IMAP4rev1, on loopback and, with TLS (STARTTLS or from the first byte),
// to the user's other devices, built on the go-imap v2 imapserver package.
//
// It owns no on-disk state. What it owns is the in-memory view each IMAP
// session has of its selected mailbox:
//
//   - One hub per mailbox that at least one session has selected. The hub
//     subscribes to the store's change feed (mailbox.Store.WatchRetaining)
//     and keeps the server-side message list (UIDs in ascending order) and
//     one view per session that has the mailbox selected. Every change,
//     whoever made it (SMTP delivery, another IMAP session, this session),
//     is queued on every view, so every session gets its own correctly
//     numbered untagged EXISTS, RECENT, EXPUNGE, FETCH (FLAGS) and FLAGS
//     responses, during IDLE or at the end of any command.
//   - A view (view.go) is what one client was told: its message UIDs in
//     sequence order, its pending updates and its \Recent messages. It
//     replaces imapserver's SessionTracker, which can neither tell sessions
//     apart for \Recent nor keep an expunged message addressable.
//
// Invariants:
//
//   - The hub's list only ever grows at the end (UIDs come in ascending
//     order from the store). A message expunged from the store stays in it,
//     marked gone, while a view still has it (RFC 2180 4.1.1: its session
//     can FETCH, SEARCH and COPY it until told); the store retains its
//     record and body for the hub's watcher until the hub releases it, and
//     drops whatever is still retained when it opens after a crash.
//   - A message is recent (RFC 3501 2.3.2) in the first read-write session
//     told of it; the highest UID claimed is saved in the store before the
//     client is told, so no other session, also after a restart, sees it
//     as recent (recent.go).
//   - Keywords are announced with FLAGS (and PERMANENTFLAGS) before any
//     FETCH response carries them (keywords.go).
//   - A hub's goroutine stops when the last session using it leaves; Close
//     returns only after every session and hub goroutine has ended.
//   - A session reads and writes its selected mailbox through
//     mailbox.Pinned (the name and the UIDVALIDITY it selected), checked
//     in the transaction that reads or writes, so a FETCH, SEARCH, SORT,
//     STORE, EXPUNGE, COPY or MOVE, or a \Recent claim, never reaches
//     another mailbox given the name since. A session whose selected
//     mailbox was renamed or deleted is told nothing more of it, and is
//     sent an untagged BYE and closed: at its next command on the
//     messages, in IDLE as soon as the hub learns of it, and at the end
//     of any other command, unless that command changed the store or the
//     session renamed or deleted the mailbox itself (replaced.go).
//   - Message bodies are streamed from the store: BODY[], BODY[TEXT] and
//     partial fetches of them never hold the whole message in memory.
//     Sections of inner MIME parts and BINARY are streamed twice, once to
//     measure them and once to send them; only header blocks are held.
//
// Between each client and imapserver sits an extConn (extconn.go), which
// answers the ID command (RFC 2971) that imapserver does not know, in any
// state, and STARTTLS. It reads every other command whole before imapserver
// sees it (framing.go) and refuses with a tagged BAD what imapserver would
// answer with an internal error, silence or a dropped connection: literals
// too big for their command, overlong commands, lists nested too deep. It
// screens a command's mailbox names, on its lines and in its literals
// (mailboxargs.go: a name imapserver cannot decode would be a server
// error). It follows
// literals in both directions so that it never looks into message data;
// APPEND's message passes through as it comes.
//
// CONDSTORE, QRESYNC (RFC 7162), SORT and THREAD (RFC 5256) come from a
// patch of imapserver carried in node/imapd/goimap (its YGGPOST-PATCH.md
// says what and why): it parses their arguments and writes their responses;
// condstore.go and sort.go implement them. The hub keeps the mailbox's
// HIGHESTMODSEQ with its list, read in one transaction; a session tells
// its client a HIGHESTMODSEQ only for a state it has shown it.
//
// Not offered, on purpose: QUOTA (a node has no storage quota to report);
// METADATA (clients only use it when advertised, and advertising it means
// storing SETMETADATA values).
//
// Authentication is plaintext LOGIN (or AUTHENTICATE PLAIN), meant for a
// listener on the loopback interface only.
package imapd

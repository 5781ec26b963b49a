// Package imapd is the IMAP front end of a Yggpost node: it serves the
// user's mailbox store (package mailbox) to ordinary mail clients over
// IMAP4rev1 on a loopback listener, built on the go-imap v2 imapserver
// package.
//
// It owns no on-disk state. What it owns is the in-memory view each IMAP
// session has of its selected mailbox:
//
//   - One hub per mailbox that at least one session has selected. The hub
//     subscribes to the store's change feed (mailbox.Store.Watch) and keeps
//     the server-side message list (UIDs in ascending order) together with an
//     imapserver.MailboxTracker. Every change, whoever made it (SMTP
//     delivery, another IMAP session, this session), is turned into tracker
//     updates, so every session gets its own correctly numbered untagged
//     EXISTS, EXPUNGE and FETCH (FLAGS) responses, during IDLE or at the end
//     of any command.
//   - Sessions translate between their client's sequence numbers and the
//     hub's list through their imapserver.SessionTracker.
//
// Invariants:
//
//   - The hub's list only ever grows at the end (UIDs come in ascending
//     order from the store) and shrinks by expunges; the tracker's message
//     count always equals the list length.
//   - A hub's goroutine stops when the last session using it leaves; Close
//     returns only after every session and hub goroutine has ended.
//   - Message bodies are streamed from the store: BODY[], BODY[TEXT] and
//     partial fetches of them never hold the whole message in memory.
//     Sections of inner MIME parts and BINARY are streamed twice, once to
//     measure them and once to send them; only header blocks are held.
//
// Between each client and imapserver sits an extConn (extconn.go), which
// answers the ID command (RFC 2971) that imapserver does not know, in any
// state, and passes every other byte through; it follows literals in both
// directions so that it never looks into message data.
//
// Not offered, on purpose: CONDSTORE and QRESYNC (imapserver v2.0.0-beta.8
// parses none of their modifiers: SELECT (CONDSTORE), FETCH (CHANGEDSINCE),
// STORE (UNCHANGEDSINCE), SEARCH MODSEQ; and it writes no MODSEQ items, so
// they would need a second command parser in front of it); QUOTA (a node
// has no storage quota to report); METADATA (clients only use it when
// advertised, and advertising it means storing SETMETADATA values).
//
// Authentication is plaintext LOGIN (or AUTHENTICATE PLAIN), meant for a
// listener on the loopback interface only.
package imapd

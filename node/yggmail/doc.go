// Package yggmail reads a database of Yggmail, Yggpost's predecessor, so
// that a user can move to Yggpost with the same address, password and
// mail. It owns nothing on disk: it only reads the one SQLite file
// (yggmail.db) in which Yggmail keeps
//
//	config(key, value)             rows private_key (the ed25519 private
//	                               key in hex: seed, then public key, which
//	                               is the address) and password (bcrypt)
//	mailboxes(mailbox, subscribed)
//	mails(mailbox, id, mail, datetime, seen, answered, flagged, deleted)
//	                               one row per message; datetime is Unix
//	                               seconds; id counts up within a mailbox
//	queue(destination, mailbox, id, mail, rcpt)
//	                               one row per recipient of a message still
//	                               to send; the message is the mails row
//	                               (mailbox, id), mail is the sender
//
// Invariants:
//   - The file is opened read-only (SQLite's mode=ro) and read inside one
//     transaction, so a reader sees one consistent snapshot and Yggmail
//     cannot write to the file while it is read.
//   - Open refuses, each with its own error, a file that is not SQLite
//     (ErrNotSQLite), SQLite without Yggmail's tables and columns
//     (ErrNotYggmail), a damaged file (ErrDamaged, from PRAGMA
//     quick_check, so damage is found before anything is imported) and a
//     file in use by a running Yggmail (ErrInUse).
//   - Messages are streamed: Messages hands over one row at a time, so
//     memory holds one message, never a mailbox.
package yggmail

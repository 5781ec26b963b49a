// Package mailfile moves mail between a node's store (mailbox.Store) and
// mail files: Export writes every mailbox as a Maildir++ tree
// (mailbox/maildir), ImportMaildir and ImportMbox append the messages of a
// Maildir tree or an mbox file (mailbox/mbox) to mailboxes. The formats
// are those packages'; this one owns the mapping and the rules below. It
// reads and writes one message at a time: no body is ever held whole in
// memory.
//
// # Rules
//
//   - Export writes only into a directory that does not exist or is
//     empty (ErrTargetNotEmpty otherwise): it never merges with, or
//     overwrites, earlier files. Every message is copied byte for byte
//     with its flags as info letters (keywords through the folder's
//     dovecot-keywords file, 26 at most per folder; more are reported and
//     left out) and its internal date as the file's mtime. The subscribed
//     names go to ROOT/subscriptions, one Maildir++ folder name (without
//     its leading ".") per line, as Courier writes it.
//   - Import appends to a mailbox only the messages it does not hold yet:
//     a message whose bytes equal those of a message already there is
//     skipped, counted as many times as it is there (a source holding a
//     message twice gets it twice, once). So importing the same file
//     again adds nothing, and a message imported then deleted comes back
//     when imported again. The flags of messages already there are left
//     as they are. (Store.Append alone de-duplicates by envelope id only,
//     for delivered mail, and only for DeliveredTTL.)
//   - A missing target mailbox is created and subscribed.
//   - A message the store refuses (too large, say), a file that cannot
//     be read, or a folder whose name the store refuses is reported in
//     Report.Failed and the import goes on; the returned error then says
//     how many. Nothing is ever deleted from the source.
//   - A keyword the store refuses is dropped (reported); the message is
//     imported with its other flags.
package mailfile

import (
	"errors"
	"fmt"
)

// ErrTargetNotEmpty: Export was asked to write into a directory that
// already holds files.
var ErrTargetNotEmpty = errors.New("export directory is not empty: give a new or empty directory")

// Report says what an export or import did.
type Report struct {
	Mailboxes  int      // mailboxes written, or read into
	Messages   int      // messages written or appended
	Duplicates int      // messages not imported: the mailbox holds them
	Notes      []string // things left out on purpose: keywords, junk files
	Failed     []string // messages (or folders) that could not be copied
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func (r *Report) fail(format string, args ...any) {
	r.Failed = append(r.Failed, fmt.Sprintf(format, args...))
}

// err returns an error when messages failed.
func (r *Report) err(action string) error {
	if len(r.Failed) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %d messages or folders could not be copied", action, len(r.Failed))
}

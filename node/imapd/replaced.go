package imapd

import (
	"errors"
	"fmt"
	"net"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/mailbox"
)

// A session knows its selected mailbox by name and UIDVALIDITY
// (selected.box). Once the name no longer belongs to that mailbox (it was
// renamed or deleted, and perhaps a new one created with the name), the
// session is told nothing more of it and ends with an untagged BYE:
//
//   - at its next command on the messages (checkSelected, and the reads
//     and writes of mailbox.Pinned, checked in their own transactions);
//   - in IDLE, as soon as its hub has a doubt about the mailbox
//     (hub.doubt, recheck);
//   - at the end of any other command, NOOP included (Poll), except that
//     a command that changed the store gets its tagged response first,
//     and that a session that renamed or deleted the mailbox itself goes
//     on until it uses the messages or IDLEs.

// byeReplaced is the BYE that ends a session whose selected mailbox was
// renamed or deleted.
const byeReplaced = "Selected mailbox was renamed or deleted"

// endReplaced ends the session if err says that the name of the selected
// mailbox now belongs to another mailbox or to none
// (mailbox.ErrMailboxChanged): the mailbox was renamed or deleted, by
// another session or device, and perhaps one of its name created since.
// Its UIDs would address that one's messages, so no command may use them
// any more; the client is sent an untagged BYE and the connection closed
// (RFC 2180 3; RFC 9051 7.1.5), and it finds the mailbox again, under its
// new name, or the new one of its name, by UIDVALIDITY when it reconnects.
// A pure RENAME ends the session too: the session knows the mailbox by
// its name. Any other error is returned as storeError(op, err).
//
// The BYE is written by imapserver's Conn.Bye, which also closes the
// connection; the error returned then only stops the command, as its
// tagged response can no longer be sent.
func (s *session) endReplaced(op string, err error) error {
	if !errors.Is(err, mailbox.ErrMailboxChanged) {
		return storeError(op, err)
	}
	s.bye(op)
	return &imap.Error{Type: imap.StatusResponseTypeNo, Text: byeReplaced}
}

// bye sends the BYE of a replaced mailbox and closes the connection,
// once: after IDLE was ended by it, imapserver still polls.
func (s *session) bye(op string) {
	if s.byeSent.Swap(true) {
		return
	}
	s.log.Info("selected mailbox renamed or deleted; ending the session", "mailbox", s.sel.name, "op", op)
	if err := s.conn.Bye(byeReplaced); err != nil {
		s.log.Debug("write BYE", "err", err)
	}
}

// errByeSent stops Poll and Idle once bye has closed the connection;
// imapserver takes net.ErrClosed for a connection that has ended.
var errByeSent = fmt.Errorf("%s: %w", byeReplaced, net.ErrClosed)

// checkSelected ends the session (endReplaced) if the selected mailbox was
// renamed or deleted: every command that addresses its messages checks
// before it reads them. Reads and writes check again in their own
// transactions (mailbox.Pinned).
func (s *session) checkSelected() error {
	return s.endReplaced("check the selected mailbox", s.sel.box.Check())
}

// recheck is checkSelected for Poll and Idle, which run after every
// command and on every update, so it reads the store only if the hub has
// had a doubt (hub.doubt) since the session last looked. It returns
// mailbox.ErrMailboxChanged, wrapped, once the name no longer belongs to
// the mailbox selected; any other error is logged, and the check is made
// again next time.
func (s *session) recheck() error {
	v := s.sel.tracker
	h := v.hub
	h.mu.Lock()
	doubts, checked := h.doubts, v.checked
	h.mu.Unlock()
	if doubts == checked {
		return nil
	}
	err := s.sel.box.Check()
	switch {
	case errors.Is(err, mailbox.ErrMailboxChanged):
		return err
	case err != nil:
		s.log.Warn("check the selected mailbox", "err", err)
		return nil
	}
	h.mu.Lock()
	v.checked = doubts
	h.mu.Unlock()
	return nil
}

// moved notes that this session renamed or deleted the mailbox name: if
// that is, or is above, the selected mailbox, its client knows
// (movedHere). The sessions of every hub there check their mailbox
// (Server.doubtWithin).
func (s *session) moved(name string) {
	if s.sel != nil && within(s.sel.hub.storeName, name) {
		s.sel.movedHere = true
	}
	s.srv.doubtWithin(name)
}

// wrote notes that the command changed the store, if err is nil
// (answerFirst), and returns err.
func (s *session) wrote(err error) error {
	if err == nil {
		s.answerFirst = true
	}
	return err
}

package imapd

import (
	"errors"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/mailbox"
)

// selected is a session's state in the selected state.
type selected struct {
	hub         *hub
	name        string
	box         mailbox.Pinned // name and UIDVALIDITY: every write of the selected state goes through it
	tracker     *view
	readOnly    bool
	uidValidity uint32
}

// Select implements SELECT and EXAMINE (RFC 9051 6.3.2, 6.3.3; RECENT and
// UNSEEN of RFC 3501 7.3.2, 7.1). FLAGS and PERMANENTFLAGS list every
// keyword in use; a read-write session claims the recent messages.
func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	s.leave()
	name = canonicalName(name)
	st, err := s.srv.store.Status(name)
	if err != nil {
		return nil, storeError("select "+quote(name), err)
	}
	h, err := s.srv.acquire(name, st.UIDValidity)
	if errors.Is(err, mailbox.ErrMailboxChanged) {
		return nil, noError(imap.ResponseCodeUnavailable, "select "+quote(name)+": the mailbox was replaced meanwhile; try again")
	}
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	v, claim := h.newViewLocked(options.ReadOnly)
	s.sel = &selected{
		hub: h, name: name, box: h.box, tracker: v,
		readOnly: options.ReadOnly, uidValidity: st.UIDValidity,
	}
	flags := mailboxFlags(h.keywords)
	data := &imap.SelectData{
		Flags:          flags,
		PermanentFlags: append(slices.Clip(flags), imap.FlagWildcard),
		NumMessages:    uint32(len(v.uids)),
		NumRecent:      uint32(len(v.recent)),
		UIDNext:        imap.UID(max(st.UIDNext, h.maxUID+1)),
		UIDValidity:    st.UIDValidity,
		HighestModSeq:  v.told, // the list's, which the view shows (condstore.go)
	}
	for i, m := range h.msgs {
		if !h.gone[m.UID] && !hasFlag(m.Flags, mailbox.FlagSeen) {
			data.FirstUnseenSeqNum = v.EncodeSeqNum(uint32(i + 1))
			break
		}
	}
	h.mu.Unlock()
	h.saveRecent(claim)
	if options.ReadOnly {
		data.PermanentFlags = nil
	}
	return data, nil
}

// Unselect implements UNSELECT (RFC 3691) and the second half of CLOSE.
func (s *session) Unselect() error {
	s.leave()
	return nil
}

// leave drops the selected mailbox, if any. The messages recent in this
// session stay claimed: no other session sees them as recent.
func (s *session) leave() {
	if s.sel == nil {
		return
	}
	sel := s.sel
	s.sel = nil
	sel.tracker.close()
	s.srv.release(sel.hub)
}

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
	s.log.Info("selected mailbox renamed or deleted; ending the session", "mailbox", s.sel.name, "op", op)
	if err := s.conn.Bye(byeReplaced); err != nil {
		s.log.Debug("write BYE", "err", err)
	}
	return &imap.Error{Type: imap.StatusResponseTypeNo, Text: byeReplaced}
}

// checkSelected ends the session (endReplaced) if the selected mailbox was
// renamed or deleted: every command that addresses its messages checks
// before it reads them. Writes check again as they write (mailbox.Pinned).
func (s *session) checkSelected() error {
	return s.endReplaced("check the selected mailbox", s.sel.box.Check())
}

// Poll writes pending mailbox updates at the end of a command (RFC 9051
// 7.1: EXPUNGE only where allowExpunge says the client can take it).
func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if s.sel == nil {
		return nil
	}
	return s.poll(w, allowExpunge)
}

// Idle implements IDLE (RFC 2177): updates already pending when IDLE starts
// are written at once, then updates as they happen, until stop is closed.
// Without a selected mailbox it only waits.
//
// (imapserver's SessionTracker.Idle writes only updates queued after it
// started, so a message that arrived between the client's last command and
// IDLE would wait for the next unrelated event — the symptom clients such as
// Delta Chat show as mail arriving a minute late.)
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	done := make(chan struct{})
	defer close(done)
	s.idleMu.Lock()
	if s.closing {
		s.idleMu.Unlock()
		return nil
	}
	s.idleDone = done
	sel := s.sel
	s.idleMu.Unlock()
	if sel == nil {
		<-stop
		return nil
	}
	kick := sel.hub.wait()
	defer sel.hub.unwait(kick)
	for {
		if err := s.poll(w, true); err != nil {
			return err
		}
		select {
		case <-kick:
		case <-stop:
			return nil
		}
	}
}

func systemFlags() []imap.Flag {
	return []imap.Flag{imap.FlagSeen, imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagDraft}
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

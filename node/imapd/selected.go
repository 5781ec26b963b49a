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
	// movedHere is set once this session renamed or deleted the mailbox
	// (or one above it): its client knows, so Poll does not end the
	// session over it; a command on the messages or IDLE does.
	movedHere bool
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

// Poll writes pending mailbox updates at the end of a command (RFC 9051
// 7.1: EXPUNGE only where allowExpunge says the client can take it). A
// session whose selected mailbox was renamed or deleted is told nothing
// more of it: it is sent the BYE (NOOP, the command clients poll with,
// gets it here), unless the command changed the store, which gets its
// tagged response first (answerFirst), or the session itself renamed or
// deleted the mailbox (movedHere), whose client goes on with LIST or
// SELECT.
func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	answerFirst := s.answerFirst
	s.answerFirst = false
	if s.sel == nil {
		return nil
	}
	if s.byeSent.Load() {
		return errByeSent
	}
	if err := s.recheck(); err != nil {
		if answerFirst || s.sel.movedHere {
			return nil
		}
		s.bye("poll")
		return errByeSent
	}
	return s.poll(w, allowExpunge)
}

// Idle implements IDLE (RFC 2177): updates already pending when IDLE starts
// are written at once, then updates as they happen, until stop is closed.
// Without a selected mailbox it only waits. A session whose selected
// mailbox was renamed or deleted is sent the BYE as soon as its hub has a
// doubt about it (recheck).
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
		if err := s.recheck(); err != nil {
			s.bye("idle")
			return errByeSent
		}
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

package imapd

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/mailbox"
)

// selected is a session's state in the selected state.
type selected struct {
	hub         *hub
	name        string
	tracker     *imapserver.SessionTracker
	readOnly    bool
	uidValidity uint32
}

// Select implements SELECT and EXAMINE (RFC 9051 6.3.2, 6.3.3).
func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	s.leave()
	name = canonicalName(name)
	st, err := s.srv.store.Status(name)
	if err != nil {
		return nil, storeError("select "+quote(name), err)
	}
	h, err := s.srv.acquire(name)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s.sel = &selected{
		hub: h, name: name, tracker: h.tracker.NewSession(),
		readOnly: options.ReadOnly, uidValidity: st.UIDValidity,
	}
	uidNext := max(st.UIDNext, h.maxUID+1)
	data := &imap.SelectData{
		Flags:          systemFlags(),
		PermanentFlags: append(systemFlags(), imap.FlagWildcard),
		NumMessages:    uint32(len(h.msgs)),
		UIDNext:        imap.UID(uidNext),
		UIDValidity:    st.UIDValidity,
	}
	for i, m := range h.msgs {
		if !hasFlag(m.Flags, mailbox.FlagSeen) {
			data.FirstUnseenSeqNum = uint32(i + 1)
			break
		}
	}
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

// leave drops the selected mailbox, if any.
func (s *session) leave() {
	if s.sel == nil {
		return
	}
	sel := s.sel
	s.sel = nil
	sel.tracker.Close()
	s.srv.release(sel.hub)
}

// Poll writes pending mailbox updates at the end of a command (RFC 9051
// 7.1: EXPUNGE only where allowExpunge says the client can take it).
func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if s.sel == nil {
		return nil
	}
	return s.sel.tracker.Poll(w, allowExpunge)
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
		if err := sel.tracker.Poll(w, true); err != nil {
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

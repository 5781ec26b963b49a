package imapd

import (
	"errors"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/mailbox"
)

// Copy implements COPY and UID COPY (RFC 9051 6.4.7) with COPYUID
// (RFC 4315).
func (s *session) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	dest = canonicalName(dest)
	ts, err := s.targets(numSet)
	if err != nil {
		return nil, err
	}
	src, dst, err := s.sel.box.Copy(uidsOf(ts), dest)
	if err != nil {
		return nil, s.transferError("copy to "+quote(dest), err)
	}
	if dest == s.sel.name {
		s.sel.hub.settleNow()
	}
	data, err := s.copyData(dest, src, dst)
	return data, s.wrote(err)
}

// Move implements MOVE and UID MOVE (RFC 6851): COPYUID first, then the
// EXPUNGE responses, through the hub like any expunge.
func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	if s.sel.readOnly {
		return noError(imap.ResponseCodeCannot, "mailbox is read-only (EXAMINE)")
	}
	dest = canonicalName(dest)
	ts, err := s.targets(numSet)
	if err != nil {
		return err
	}
	src, dst, err := s.sel.box.Move(uidsOf(ts), dest)
	if err != nil {
		return s.transferError("move to "+quote(dest), err)
	}
	data, err := s.copyData(dest, src, dst)
	if err != nil {
		return err
	}
	if data != nil {
		if err := w.WriteCopyData(data); err != nil {
			return err
		}
	}
	s.sel.hub.settleNow()
	return s.wrote(nil)
}

// copyData is the COPYUID of a copy or move, nil when nothing was copied
// (every message named was expunged meanwhile): RFC 4315 has no COPYUID
// with empty sets, and the answer is a plain OK.
func (s *session) copyData(dest string, src, dst []uint32) (*imap.CopyData, error) {
	if len(src) == 0 {
		return nil, nil
	}
	st, err := s.srv.store.Status(dest)
	if err != nil {
		return nil, storeError("status of "+quote(dest), err)
	}
	data := &imap.CopyData{UIDValidity: st.UIDValidity}
	for i := range src {
		data.SourceUIDs.AddNum(imap.UID(src[i]))
		data.DestUIDs.AddNum(imap.UID(dst[i]))
	}
	return data, nil
}

// transferError answers a missing destination with TRYCREATE (RFC 9051
// 6.4.7), and ends the session if the source, the selected mailbox, was
// renamed or deleted (endReplaced).
func (s *session) transferError(op string, err error) error {
	if isNoMailbox(err) {
		return noError(imap.ResponseCodeTryCreate, op+": no such mailbox")
	}
	return s.endReplaced(op, err)
}

func isNoMailbox(err error) bool {
	return errors.Is(err, mailbox.ErrNoMailbox)
}

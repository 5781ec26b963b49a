package imapd

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// Expunge implements EXPUNGE, UID EXPUNGE (RFC 4315) and the expunge part of
// CLOSE (RFC 9051 6.4.2, 6.4.3). The store removes the messages; the hub
// then queues the EXPUNGE responses for every session on the mailbox, this
// one included, which imapserver writes before the tagged OK. CLOSE (w
// without a connection) discards them as the mailbox is left. EXAMINE'd
// mailboxes are never expunged.
func (s *session) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	if s.sel.readOnly {
		if uids == nil {
			return nil // CLOSE after EXAMINE, or EXPUNGE: nothing may change
		}
		return noError(imap.ResponseCodeCannot, "mailbox is read-only (EXAMINE)")
	}
	var list []uint32 // nil: every \Deleted message
	if uids != nil {
		ts, err := s.targets(*uids)
		if err != nil {
			return err
		}
		list = uidsOf(ts)
		if len(list) == 0 {
			return nil
		}
	}
	if _, err := s.sel.box.Expunge(list); err != nil {
		return s.endReplaced("expunge", err)
	}
	s.sel.hub.settleNow()
	return s.wrote(nil)
}

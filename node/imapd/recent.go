package imapd

import (
	"errors"
	"slices"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/mailbox"
)

// \Recent (RFC 3501 2.3.2): a message is recent in exactly one session,
// the first read-write session told of it, by SELECT or by a later EXISTS.
// The hub keeps the highest UID so claimed; messages above it are recent
// for the next session to learn of them. A read-only (EXAMINE) session
// sees those as recent too, but claims nothing, so the next SELECT still
// gets them (RFC 3501 6.3.2). Each view keeps the UIDs recent for it.
//
// The mark is saved in the store (mailbox.Pinned.SetRecentUID) before the
// client is told, so it survives the hub, which ends with its last
// session, and a restart: a message claimed by a session that has closed
// is recent for nobody, as the RFC wants, and STATUS (RECENT) counts the
// messages no session has claimed. A crash between the claim and the save
// can only make a message recent once more, and so can a rename or
// deletion of the mailbox just before the save: the mark is saved only
// while the name still belongs to the mailbox selected, never raised for
// a mailbox given the name since.
//
// \Recent cannot be stored (flags.go drops it); it appears in FETCH FLAGS
// and in SEARCH RECENT, NEW and OLD through the session's view.

// flagRecent is the session flag \Recent, which IMAP4rev2 dropped.
const flagRecent imap.Flag = `\Recent`

// takeRecentLocked marks as recent for v those of uids (ascending) that no
// session has claimed; a read-write view claims them. It returns the new
// mark to save, or 0.
func (v *view) takeRecentLocked(uids []uint32) uint32 {
	h := v.hub
	var top uint32
	for _, uid := range uids {
		if uid > h.recentUID {
			v.recent[uid] = true
			top = uid
		}
	}
	if top == 0 || v.readOnly {
		return 0
	}
	h.recentUID = top
	return top
}

// saveRecent stores a claimed mark; uid 0 means nothing was claimed. A
// failure is logged: the claim holds in memory while the hub lives.
func (h *hub) saveRecent(uid uint32) {
	if uid == 0 {
		return
	}
	err := h.box.SetRecentUID(uid)
	switch {
	case errors.Is(err, mailbox.ErrMailboxChanged):
		h.log.Debug("\\Recent mark not saved: the mailbox was renamed or deleted", "uid", uid)
	case err != nil:
		h.log.Warn("save \\Recent mark", "uid", uid, "err", err)
	}
}

// flagsOf returns the flags the client sees for m.
func (s *session) flagsOf(uid uint32, stored []string) []imap.Flag {
	h := s.sel.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	return s.sel.tracker.flagsLocked(uid, stored)
}

// withRecent returns ts with \Recent added to the flags of the messages
// recent in this session, for SEARCH RECENT, NEW and OLD.
func (s *session) withRecent(ts []target) []target {
	h := s.sel.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	v := s.sel.tracker
	for i := range ts {
		if v.recent[ts[i].msg.UID] {
			ts[i].msg.Flags = append(slices.Clip(ts[i].msg.Flags), string(flagRecent))
		}
	}
	return ts
}

package imapd

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// CONDSTORE and QRESYNC (RFC 7162). Every change to a mailbox takes a new
// MODSEQ in the store (mailbox/doc.go), messages carry the MODSEQ of their
// last flag change, and the hub keeps the mailbox's HIGHESTMODSEQ with its
// list. A session tells its client a HIGHESTMODSEQ only for a state the
// client has been brought to (view.told), so a client that resynchronises
// from it never skips a change.
//
// The store keeps no record of expunged UIDs. VANISHED (EARLIER) therefore
// names every UID of the range asked about that is not in the mailbox: RFC
// 7162 3.2.5.1 and 3.2.6 let a server include UIDs expunged before the
// client's mod-sequence, and the client ignores those it did not have.

var _ imapserver.SessionQResync = (*session)(nil)

// HighestModSeq returns the HIGHESTMODSEQ of the selected mailbox as far as
// the client has been told of its changes.
func (s *session) HighestModSeq() uint64 {
	if s.sel == nil {
		return 0
	}
	h := s.sel.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	return s.sel.tracker.told
}

// condStore reports whether the client enabled CONDSTORE (or QRESYNC).
func (s *session) condStore() bool {
	return s.conn.EnabledCaps().Has(imap.CapCondStore)
}

// Resync answers the QRESYNC parameter of SELECT and EXAMINE (RFC 7162
// 3.2.5.1): if the mailbox is the one the client knew (same UIDVALIDITY),
// VANISHED (EARLIER) with the UIDs of its known range that are gone, then
// a FETCH (UID FLAGS MODSEQ) of every message changed since its
// mod-sequence. The seq-match data only helps servers that forget
// expunges; with every gone UID reported it is not needed.
func (s *session) Resync(w *imapserver.FetchWriter, params *imap.SelectQResync) error {
	if params.UIDValidity != s.sel.uidValidity {
		return nil
	}
	known := imap.NumSet(imap.UIDSet{{Start: 1, Stop: 0}})
	if params.KnownUIDs != nil {
		known = params.KnownUIDs
	}
	if gone := s.vanishedIn(known); len(gone) > 0 {
		if err := w.WriteVanishedEarlier(gone); err != nil {
			return err
		}
	}
	ts, err := s.targets(imap.SeqSet{{Start: 1, Stop: 0}})
	if err != nil {
		return err
	}
	ts = changedSince(ts, params.ModSeq)
	s.sel.tracker.refreshReported(ts)
	for _, t := range ts {
		rw := w.CreateMessage(t.seq)
		rw.WriteUID(imap.UID(t.msg.UID))
		rw.WriteFlags(s.flagsOf(t.msg.UID, t.msg.Flags))
		rw.WriteModSeq(t.msg.ModSeq)
		if err := rw.Close(); err != nil {
			return err
		}
	}
	return nil
}

// vanishedIn returns the UIDs in set, up to the highest UID the mailbox
// has given out, of messages that are gone for this client: not in the
// mailbox, or expunged and already reported to it. A message expunged but
// not yet reported still has its sequence number here, so it is left for
// the VANISHED that will report it.
func (s *session) vanishedIn(set imap.NumSet) imap.UIDSet {
	v := s.sel.tracker
	h := v.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	want := spans(set, h.maxUID)
	var out imap.UIDSet
	next := uint32(1) // the lowest UID not yet looked at
	addGap := func(lo, hi uint32) {
		for _, r := range want {
			a, b := max(lo, r.lo), min(hi, r.hi)
			if a <= b {
				out.AddRange(imap.UID(a), imap.UID(b))
			}
		}
	}
	for _, m := range h.msgs {
		if m.UID > next {
			addGap(next, m.UID-1)
		}
		if h.gone[m.UID] && !v.knowsLocked(m.UID) {
			addGap(m.UID, m.UID)
		}
		next = m.UID + 1
	}
	if next <= h.maxUID {
		addGap(next, h.maxUID)
	}
	return out
}

// changedSince keeps the targets whose MODSEQ is above modSeq (FETCH
// CHANGEDSINCE, RFC 7162 3.1.4.1).
func changedSince(ts []target, modSeq uint64) []target {
	kept := ts[:0]
	for _, t := range ts {
		if t.msg.ModSeq > modSeq {
			kept = append(kept, t)
		}
	}
	return kept
}

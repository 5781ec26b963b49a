package imapd

import (
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// view is one session's picture of its selected mailbox: the UIDs its
// client knows, in the order of their sequence numbers, the updates queued
// for it, and its \Recent messages. It takes the place of imapserver's
// SessionTracker, which cannot say which messages are new to a session nor
// keep an expunged message addressable. Every field is guarded by hub.mu.
type view struct {
	hub      *hub
	readOnly bool
	uids     []uint32        // ascending; sequence number = index + 1
	queue    []update        // not yet written to the client, in order
	recent   map[uint32]bool // \Recent in this session (recent.go)
	keywords int             // len(hub.keywords) when the client was last told FLAGS
	told     uint64          // the HIGHESTMODSEQ of the state the client was last brought to
	checked  uint64          // hub.doubts when the session last found its mailbox selected (recheck)
}

// updateKind says what an update reports.
type updateKind int

const (
	updExpunge updateKind = iota // message uid is gone: EXPUNGE
	updExists                    // messages uids were added: EXISTS, RECENT
	updFlags                     // message uid has new flags: FETCH (FLAGS)
)

// update is one change queued for a view.
type update struct {
	kind   updateKind
	uid    uint32   // updExpunge, updFlags
	uids   []uint32 // updExists
	flags  []string // updFlags
	modSeq uint64   // updFlags: the message's MODSEQ
}

// newViewLocked registers a view of h for a session that selects it. The
// client is told of the live messages; those no session has claimed yet
// are recent for it, and a read-write session claims them: claim is the
// new mark to save, or 0.
func (h *hub) newViewLocked(readOnly bool) (v *view, claim uint32) {
	v = &view{hub: h, readOnly: readOnly, recent: map[uint32]bool{}, keywords: len(h.keywords), told: h.modSeq}
	for _, m := range h.msgs {
		if !h.gone[m.UID] {
			v.uids = append(v.uids, m.UID)
		}
	}
	h.views[v] = struct{}{}
	return v, v.takeRecentLocked(v.uids)
}

// close unregisters v; gone messages only v knew can be released.
func (v *view) close() {
	h := v.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.views, v)
	h.pruneLocked()
}

// queueLocked queues u for every view but except.
func (h *hub) queueLocked(u update, except *view) {
	for v := range h.views {
		if v != except {
			v.push(u)
		}
	}
}

// push queues u, joining consecutive additions into one EXISTS.
func (v *view) push(u update) {
	n := len(v.queue)
	if u.kind == updExists && n > 0 && v.queue[n-1].kind == updExists {
		v.queue[n-1].uids = append(v.queue[n-1].uids, u.uids...)
		return
	}
	if u.kind == updExists {
		u.uids = slices.Clone(u.uids) // each view appends to its own
	}
	v.queue = append(v.queue, u)
}

// refreshLocked gives the flag updates of uid still queued for v that are
// older than modSeq the message's flags and MODSEQ at modSeq: the client
// is being told that state, and an older one must not follow it.
func (v *view) refreshLocked(uid uint32, flags []string, modSeq uint64) {
	for i := range v.queue {
		if u := &v.queue[i]; u.kind == updFlags && u.uid == uid && u.modSeq < modSeq {
			u.flags, u.modSeq = flags, modSeq
		}
	}
}

// refreshReported does refreshLocked for every message of ts, whose state
// a response is about to report.
func (v *view) refreshReported(ts []target) {
	v.hub.mu.Lock()
	defer v.hub.mu.Unlock()
	for _, t := range ts {
		v.refreshLocked(t.msg.UID, t.msg.Flags, t.msg.ModSeq)
	}
}

// seqLocked returns the sequence number of uid for the client, 0 if it
// does not know the message.
func (v *view) seqLocked(uid uint32) uint32 {
	i, ok := slices.BinarySearch(v.uids, uid)
	if !ok {
		return 0
	}
	return uint32(i + 1)
}

// knowsLocked reports whether the client knows uid or will be told of it
// by an EXISTS in its queue.
func (v *view) knowsLocked(uid uint32) bool {
	if v.seqLocked(uid) != 0 {
		return true
	}
	for _, u := range v.queue {
		if u.kind == updExists && slices.Contains(u.uids, uid) {
			return true
		}
	}
	return false
}

// EncodeSeqNum maps a position in the hub's list (1-based) to the client's
// sequence number, 0 for a message the client does not know: one not yet
// announced, or one whose EXPUNGE it was sent. The caller holds hub.mu.
func (v *view) EncodeSeqNum(pos uint32) uint32 {
	if pos == 0 || int(pos) > len(v.hub.msgs) {
		return 0
	}
	return v.seqLocked(v.hub.msgs[pos-1].UID)
}

// response is one untagged response a poll writes.
type response struct {
	kind           updateKind
	seq, uid       uint32
	exists, recent uint32
	flags          []imap.Flag
	modSeq         uint64
}

// writeResponses writes what a poll drained. Once the client enabled
// CONDSTORE, flag changes carry their MODSEQ (RFC 7162 3.1.4.1); once it
// enabled QRESYNC, expunges are reported by UID in VANISHED, consecutive
// ones together (3.2.10).
func (s *session) writeResponses(w *imapserver.UpdateWriter, out []response) error {
	caps := s.conn.EnabledCaps()
	condStore, qresync := caps.Has(imap.CapCondStore), caps.Has(imap.CapQResync)
	var vanished imap.UIDSet
	flush := func() error {
		if len(vanished) == 0 {
			return nil
		}
		err := w.WriteVanished(vanished)
		vanished = nil
		return err
	}
	for _, r := range out {
		if qresync && r.kind == updExpunge {
			vanished.AddNum(imap.UID(r.uid))
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		if err := r.write(w, condStore); err != nil {
			return err
		}
	}
	return flush()
}

func (r response) write(w *imapserver.UpdateWriter, condStore bool) error {
	switch r.kind {
	case updExpunge:
		return w.WriteExpunge(r.seq)
	case updExists:
		if err := w.WriteNumMessages(r.exists); err != nil {
			return err
		}
		return w.WriteNumRecent(r.recent)
	default:
		var modSeq uint64
		if condStore {
			modSeq = r.modSeq
		}
		return w.WriteMessageFlagsModSeq(r.seq, imap.UID(r.uid), r.flags, modSeq)
	}
}

// drainLocked applies the queued updates to v and returns the responses
// that tell the client, stopping before the first EXPUNGE unless
// allowExpunge (RFC 9051 7.5.1: not during FETCH, STORE, SEARCH). claim
// is the new \Recent mark to save, or 0. With nothing left in the queue
// the client is brought to the hub's state, whose HIGHESTMODSEQ it may
// then be told: the changes no update reported are the session's own, and
// it reported them in its own responses.
func (v *view) drainLocked(allowExpunge bool) (out []response, claim uint32) {
	n := 0
	for ; n < len(v.queue); n++ {
		u := v.queue[n]
		if u.kind == updExpunge && !allowExpunge {
			break
		}
		switch u.kind {
		case updExpunge:
			if seq := v.seqLocked(u.uid); seq != 0 {
				v.uids = slices.Delete(v.uids, int(seq-1), int(seq))
				delete(v.recent, u.uid)
				out = append(out, response{kind: updExpunge, seq: seq, uid: u.uid})
			}
		case updExists:
			v.uids = append(v.uids, u.uids...)
			claim = max(claim, v.takeRecentLocked(u.uids))
			out = append(out, response{kind: updExists, exists: uint32(len(v.uids)), recent: uint32(len(v.recent))})
		case updFlags:
			if seq := v.seqLocked(u.uid); seq != 0 {
				out = append(out, response{kind: updFlags, seq: seq, uid: u.uid, flags: v.flagsLocked(u.uid, u.flags), modSeq: u.modSeq})
			}
		}
	}
	v.queue = slices.Delete(v.queue, 0, n)
	if len(v.queue) == 0 {
		v.told = v.hub.modSeq
	}
	return out, claim
}

// flagsLocked returns the flags the client sees for message uid: the
// stored ones and \Recent if the message is recent in this session.
func (v *view) flagsLocked(uid uint32, stored []string) []imap.Flag {
	flags := imapFlags(stored)
	if v.recent[uid] {
		flags = append(flags, flagRecent)
	}
	return flags
}

// poll writes the updates queued for the session. New keywords are
// announced first, so no FETCH carries a keyword FLAGS did not list.
func (s *session) poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	v := s.sel.tracker
	h := v.hub
	h.mu.Lock()
	keywords := v.newKeywordsLocked()
	out, claim := v.drainLocked(allowExpunge)
	h.pruneLocked()
	h.mu.Unlock()
	h.saveRecent(claim)
	if keywords != nil {
		if err := s.writeFlags(keywords, v.readOnly); err != nil {
			return err
		}
	}
	return s.writeResponses(w, out)
}

func imapFlags(flags []string) []imap.Flag {
	out := make([]imap.Flag, len(flags))
	for i, f := range flags {
		out[i] = imap.Flag(f)
	}
	return out
}

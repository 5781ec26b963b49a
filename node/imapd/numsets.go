package imapd

import (
	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/mailbox"
)

// target is one message a command addresses, with the sequence number the
// client knows it by.
type target struct {
	seq uint32
	msg mailbox.Message
}

// span is a range of sequence numbers or UIDs with "*" resolved and the
// ends in order.
type span struct{ lo, hi uint32 }

func (r span) has(n uint32) bool { return r.lo <= n && n <= r.hi }

// spans resolves a sequence set or UID set against max, the largest number
// in use ("*", RFC 9051 6.4.8: "*" is the largest number; n:* and *:n
// are the same range).
func spans(set imap.NumSet, max uint32) []span {
	var out []span
	add := func(start, stop uint32) {
		if start == 0 {
			start = max
		}
		if stop == 0 {
			stop = max
		}
		if start > stop {
			start, stop = stop, start
		}
		out = append(out, span{start, stop})
	}
	switch set := set.(type) {
	case imap.SeqSet:
		for _, r := range set {
			add(r.Start, r.Stop)
		}
	case imap.UIDSet:
		for _, r := range set {
			add(uint32(r.Start), uint32(r.Stop))
		}
	}
	return out
}

func inSpans(spans []span, n uint32) bool {
	for _, r := range spans {
		if r.has(n) {
			return true
		}
	}
	return false
}

// targets lists the messages of the selected mailbox that set addresses, in
// ascending order. Messages the client has not been told about yet (EXISTS
// still pending) or whose EXPUNGE it was sent are left out; one expunged on
// the server side that the client still knows is included (hub.go). A
// selected mailbox renamed or deleted since ends the session
// (checkSelected).
func (s *session) targets(set imap.NumSet) ([]target, error) {
	if imap.IsSearchRes(set) {
		return nil, badError("SEARCHRES ($) is not supported")
	}
	if err := s.checkSelected(); err != nil {
		return nil, err
	}
	sel := s.sel
	h := sel.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	seqs := make([]uint32, len(h.msgs))
	var maxSeq, maxUID uint32
	for i, m := range h.msgs {
		seqs[i] = sel.tracker.EncodeSeqNum(uint32(i + 1))
		if seqs[i] != 0 { // "*" is the last message the client knows
			maxSeq = max(maxSeq, seqs[i])
			maxUID = m.UID
		}
	}
	_, byUID := set.(imap.UIDSet)
	limit := maxSeq
	if byUID {
		limit = maxUID
	}
	sp := spans(set, limit)
	var out []target
	for i, m := range h.msgs {
		key := seqs[i]
		if byUID {
			key = m.UID
		}
		if seqs[i] != 0 && inSpans(sp, key) {
			out = append(out, target{seq: seqs[i], msg: m})
		}
	}
	return out, nil
}

// uidsOf returns the UIDs of ts.
func uidsOf(ts []target) []uint32 {
	out := make([]uint32, len(ts))
	for i, t := range ts {
		out[i] = t.msg.UID
	}
	return out
}

package imapd

import (
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // lets SEARCH BODY decode legacy charsets
	"github.com/emersion/go-message/mail"
)

// maxSearchText bounds how much decoded text of one message SEARCH BODY and
// TEXT look at.
const maxSearchText = 16 << 20

// Search implements SEARCH and UID SEARCH (RFC 9051 6.4.4) over flags,
// sequence numbers, UIDs, internal and sent dates, sizes, header fields and
// the decoded text of text/* parts. String matches are case-insensitive
// substring matches. MIN, MAX and COUNT are filled in for ESEARCH
// (RFC 4731); imapserver picks what the client asked to be returned.
func (s *session) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, _ *imap.SearchOptions) (*imap.SearchData, error) {
	all, err := s.targets(imap.SeqSet{{Start: 1, Stop: 0}})
	if err != nil {
		return nil, err
	}
	var ctx searchCtx
	for _, t := range all {
		ctx.maxSeq = max(ctx.maxSeq, t.seq)
		ctx.maxUID = max(ctx.maxUID, t.msg.UID)
	}
	var data imap.SearchData
	var seqs imap.SeqSet
	var uids imap.UIDSet
	var count uint32
	for _, t := range all {
		m := &searchMsg{t: t, c: &content{store: s.srv.store, mailbox: s.sel.name, msg: t.msg}}
		ok, err := ctx.match(m, criteria)
		if err != nil {
			return nil, storeError("search", err)
		}
		if ok {
			seqs.AddNum(t.seq)
			uids.AddNum(imap.UID(t.msg.UID))
			count++
			num := t.seq
			if kind == imapserver.NumKindUID {
				num = t.msg.UID
			}
			data.Min = minNonZero(data.Min, num)
			data.Max = max(data.Max, num)
		}
	}
	data.All, data.Count = seqs, count
	if kind == imapserver.NumKindUID {
		data.All = uids
	}

	return &data, nil
}

func minNonZero(a, b uint32) uint32 {
	if a == 0 {
		return b
	}
	return min(a, b)
}

type searchCtx struct{ maxSeq, maxUID uint32 }

// searchMsg caches what matching needs to read of one message.
type searchMsg struct {
	t      target
	c      *content
	header *mail.Header
	text   *string
}

func (x *searchCtx) match(m *searchMsg, cr *imap.SearchCriteria) (bool, error) {
	if !x.matchMeta(m.t, cr) {
		return false, nil
	}
	for _, sub := range cr.Not {
		ok, err := x.match(m, &sub)
		if err != nil || ok {
			return false, err
		}
	}
	for _, pair := range cr.Or {
		a, err := x.match(m, &pair[0])
		if err != nil {
			return false, err
		}
		b := a
		if !a {
			if b, err = x.match(m, &pair[1]); err != nil {
				return false, err
			}
		}
		if !b {
			return false, nil
		}
	}
	return matchContent(m, cr)
}

// matchMeta checks what needs no message content.
func (x *searchCtx) matchMeta(t target, cr *imap.SearchCriteria) bool {
	for _, set := range cr.SeqNum {
		if !inSpans(spans(set, x.maxSeq), t.seq) {
			return false
		}
	}
	for _, set := range cr.UID {
		if !inSpans(spans(set, x.maxUID), t.msg.UID) {
			return false
		}
	}
	if !dateInRange(t.msg.InternalDate, cr.Since, cr.Before) {
		return false
	}
	if cr.Larger > 0 && t.msg.Size <= cr.Larger {
		return false
	}
	if cr.Smaller > 0 && t.msg.Size >= cr.Smaller {
		return false
	}
	for _, f := range cr.Flag {
		if !hasFlagFold(t.msg.Flags, string(f)) {
			return false
		}
	}
	for _, f := range cr.NotFlag {
		if hasFlagFold(t.msg.Flags, string(f)) {
			return false
		}
	}
	return true
}

// dateInRange compares calendar dates only (RFC 9051 6.4.4: SINCE and
// BEFORE disregard time and timezone).
func dateInRange(t, since, before time.Time) bool {
	day := func(t time.Time) time.Time {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if !since.IsZero() && day(t).Before(day(since)) {
		return false
	}
	if !before.IsZero() && !day(t).Before(day(before)) {
		return false
	}
	return true
}

func hasFlagFold(flags []string, f string) bool {
	for _, x := range flags {
		if strings.EqualFold(x, f) {
			return true
		}
	}
	return false
}

// matchContent checks the criteria that read the header or the text.
func matchContent(m *searchMsg, cr *imap.SearchCriteria) (bool, error) {
	needHeader := len(cr.Header) > 0 || len(cr.Text) > 0 || !cr.SentSince.IsZero() || !cr.SentBefore.IsZero()
	if needHeader && m.header == nil {
		h, err := m.c.parsedHeader()
		if err != nil {
			return false, err
		}
		m.header = &mail.Header{Header: gomessage.Header{Header: h}}
	}
	if !cr.SentSince.IsZero() || !cr.SentBefore.IsZero() {
		if !dateInRange(sentDate(m), cr.SentSince, cr.SentBefore) {
			return false, nil
		}
	}
	for _, hf := range cr.Header {
		if !headerHas(m.header, hf.Key, hf.Value) {
			return false, nil
		}
	}
	if len(cr.Body) == 0 && len(cr.Text) == 0 {
		return true, nil
	}
	if m.text == nil {
		text, err := bodyText(m.c)
		if err != nil {
			return false, err
		}
		m.text = &text
	}
	for _, b := range cr.Body {
		if !containsFold(*m.text, b) {
			return false, nil
		}
	}
	for _, t := range cr.Text {
		raw, _ := m.c.header()
		if !containsFold(*m.text, t) && !containsFold(string(raw), t) {
			return false, nil
		}
	}
	return true, nil
}

// sentDate is the date of the Date header field in its own time zone, or,
// for a message without a readable one, the internal date (as Dovecot
// does; RFC 9051 leaves it open).
func sentDate(m *searchMsg) time.Time {
	sent, err := m.header.Date()
	if err != nil || sent.IsZero() {
		return m.t.msg.InternalDate
	}
	return sent
}

// headerHas reports whether a field key contains value; an empty value
// asks only for the field's presence.
func headerHas(h *mail.Header, key, value string) bool {
	for f := h.FieldsByKey(key); f.Next(); {
		if value == "" {
			return true
		}
		text, err := f.Text()
		if err != nil {
			text = f.Value()
		}
		if containsFold(text, value) {
			return true
		}
	}
	return false
}

// bodyText returns the decoded text of the message's text/* parts (and of a
// message that is not MIME), up to maxSearchText bytes.
func bodyText(c *content) (string, error) {
	r, err := c.open()
	if err != nil {
		return "", err
	}
	defer r.Close()
	var buf bytes.Buffer
	ent, err := gomessage.Read(r)
	if ent == nil {
		return "", nil // not parseable as a message: nothing to match
	}
	_ = err // an unknown charset or encoding still yields the raw text
	walkErr := ent.Walk(func(_ []int, part *gomessage.Entity, err error) error {
		if err != nil || buf.Len() >= maxSearchText {
			return nil
		}
		if t, _, _ := part.Header.ContentType(); strings.HasPrefix(t, "text/") {
			_, _ = io.CopyN(&buf, part.Body, int64(maxSearchText-buf.Len()))
		}
		return nil
	})
	_ = walkErr // a malformed MIME tree still yields the text read so far
	return buf.String(), nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

package imapd

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // lets SEARCH and ENVELOPE decode legacy charsets

	"github.com/yggpost/yggpost/node/mailheader"
)

// maxSearchText bounds how much decoded text of one message SEARCH BODY and
// TEXT look at.
const maxSearchText = 16 << 20

// Search implements SEARCH and UID SEARCH (RFC 9051 6.4.4) over flags,
// sequence numbers, UIDs, internal and sent dates, sizes, MODSEQ (RFC 7162
// 3.1.5), header fields and the decoded text of text/* parts. String
// matches are case-insensitive substring matches. MIN, MAX and COUNT are
// filled in for ESEARCH (RFC 4731); imapserver picks what the client asked
// to be returned.
func (s *session) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, _ *imap.SearchOptions) (*imap.SearchData, error) {
	found, err := s.search(criteria)
	if err != nil {
		return nil, err
	}
	var data imap.SearchData
	var seqs imap.SeqSet
	var uids imap.UIDSet
	for _, t := range found {
		seqs.AddNum(t.seq)
		uids.AddNum(imap.UID(t.msg.UID))
		num := numOf(t, kind)
		data.Min = minNonZero(data.Min, num)
		data.Max = max(data.Max, num)
	}
	data.All, data.Count = seqs, uint32(len(found))
	if kind == imapserver.NumKindUID {
		data.All = uids
	}
	data.ModSeq = resultModSeq(criteria, found)
	return &data, nil
}

// search returns the messages that match criteria, in ascending order.
func (s *session) search(criteria *imap.SearchCriteria) ([]target, error) {
	all, err := s.targets(imap.SeqSet{{Start: 1, Stop: 0}})
	if err != nil {
		return nil, err
	}
	all = s.withRecent(all) // RECENT, NEW and OLD match the session's \Recent
	var ctx searchCtx
	for _, t := range all {
		ctx.maxSeq = max(ctx.maxSeq, t.seq)
		ctx.maxUID = max(ctx.maxUID, t.msg.UID)
	}
	var found []target
	for _, t := range all {
		m := &searchMsg{t: t, c: &content{box: s.sel.box, mailbox: s.sel.name, msg: t.msg}}
		ok, err := ctx.match(m, criteria)
		if err != nil {
			return nil, s.endReplaced("search", err)
		}
		if ok {
			found = append(found, t)
		}
	}
	return found, nil
}

// numOf returns the number a response of the given kind gives t by.
func numOf(t target, kind imapserver.NumKind) uint32 {
	if kind == imapserver.NumKindUID {
		return t.msg.UID
	}
	return t.seq
}

// resultModSeq returns the highest MODSEQ among found when criteria use
// MODSEQ anywhere, else 0 (RFC 7162 3.1.5: the result then says it).
func resultModSeq(criteria *imap.SearchCriteria, found []target) uint64 {
	if !usesModSeq(criteria) {
		return 0
	}
	var highest uint64
	for _, t := range found {
		highest = max(highest, t.msg.ModSeq)
	}
	return highest
}

// usesModSeq reports whether criteria hold a MODSEQ key at any depth.
func usesModSeq(cr *imap.SearchCriteria) bool {
	if cr.ModSeq != nil {
		return true
	}
	for i := range cr.Not {
		if usesModSeq(&cr.Not[i]) {
			return true
		}
	}
	for i := range cr.Or {
		if usesModSeq(&cr.Or[i][0]) || usesModSeq(&cr.Or[i][1]) {
			return true
		}
	}
	return false
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
	t    target
	c    *content
	text *string
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
	if cr.ModSeq != nil && t.msg.ModSeq < cr.ModSeq.ModSeq {
		return false // one MODSEQ per message stands for every flag's (RFC 7162 3.1.5)
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
	var block []byte
	if needHeader {
		var err error
		if block, err = m.c.header(); err != nil {
			return false, err
		}
	}
	if !cr.SentSince.IsZero() || !cr.SentBefore.IsZero() {
		if !dateInRange(sentDate(m.t, block), cr.SentSince, cr.SentBefore) {
			return false, nil
		}
	}
	for _, hf := range cr.Header {
		if !headerHas(block, hf.Key, hf.Value) {
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
		if !containsFold(*m.text, t) && !containsFold(string(block), t) && !containsFold(mailheader.DecodeText(string(block)), t) {
			return false, nil
		}
	}
	return true, nil
}

// sentDate is the date of the Date header field in its own time zone, or,
// for a message without a readable one, the internal date (as Dovecot
// does; RFC 9051 leaves it open).
func sentDate(t target, block []byte) time.Time {
	if sent := sentDateOf(block); !sent.IsZero() {
		return sent
	}
	return t.msg.InternalDate
}

// addressFields are the fields whose addresses SEARCH also matches as
// read, comments removed.
var addressFields = map[string]bool{
	"from": true, "sender": true, "reply-to": true, "to": true, "cc": true, "bcc": true,
	"resent-from": true, "resent-sender": true, "resent-to": true, "resent-cc": true, "resent-bcc": true,
}

// headerHas reports whether a field called key contains value, as a
// substring without regard to case (RFC 9051 6.4.4): in the field as
// written, with its encoded words decoded, or, for an address field, in
// one of its addresses as mailheader.AddressList reads them ("Name
// <local@domain>", comments removed, so <user (c)@ (c) example.org>
// matches user@example.org). An empty value asks only whether there is
// such a field.
func headerHas(block []byte, key, value string) bool {
	for _, v := range mailheader.Values(block, key) {
		if value == "" || containsFold(v, value) || containsFold(mailheader.DecodeText(v), value) {
			return true
		}
		if addressFields[strings.ToLower(key)] && addressesContain(v, value) {
			return true
		}
	}
	return false
}

func addressesContain(v, value string) bool {
	for _, e := range mailheader.AddressList(v) {
		if e.IsGroup && containsFold(e.Group, value) {
			return true
		}
	}
	for _, m := range mailheader.Mailboxes(mailheader.AddressList(v)) {
		addr := m.Local + "@" + m.Domain
		if containsFold(addr, value) || containsFold(m.Name+" <"+addr+">", value) {
			return true
		}
	}
	return false
}

// bodyText returns the decoded text of the message's text/* parts, and of
// the header of a message a message/rfc822 part holds, up to
// maxSearchText bytes: transfer encodings undone (leniently, as BINARY
// does) and charsets converted to UTF-8 where go-message knows them.
func bodyText(c *content) (string, error) {
	r, err := c.open()
	if err != nil {
		return "", err
	}
	defer r.Close()
	er := &errReader{r: r}
	var buf bytes.Buffer
	textOf(readEntity(er), &buf, 0)
	if er.err != nil {
		return "", fmt.Errorf("read message %d: %w", c.msg.UID, er.err)
	}
	return buf.String(), nil
}

func textOf(e entity, buf *bytes.Buffer, depth int) {
	if buf.Len() >= maxSearchText || depth > maxNesting {
		return
	}
	switch {
	case e.boundary() != "":
		e.parts(func(_ int, p entity) bool {
			textOf(p, buf, depth+1)
			return buf.Len() < maxSearchText
		})
	case e.isMessage():
		inner := e.encapsulated()
		buf.WriteString(mailheader.DecodeText(string(inner.raw)))
		textOf(inner, buf, depth+1)
	default:
		if typ, _, params, _ := e.mediaType(); typ == "text" {
			partText(e, params["charset"], buf)
		}
	}
}

// partText appends the decoded text of a text/* part to buf; a part in an
// encoding this server cannot undo is searched as stored.
func partText(e entity, charset string, buf *bytes.Buffer) {
	var raw bytes.Buffer
	capped := &window{w: &raw, left: int64(maxSearchText - buf.Len())}
	dec, err := transferDecoder(e.transferEncoding(), capped)
	if err != nil {
		dec = nopCloser{capped}
	}
	if _, err := io.Copy(dec, e.body); err == nil {
		_ = dec.Close() // writes only to memory
	}
	text := io.Reader(&raw)
	if cs := strings.ToLower(charset); cs != "" && cs != "utf-8" && cs != "us-ascii" && gomessage.CharsetReader != nil {
		if conv, err := gomessage.CharsetReader(charset, bytes.NewReader(raw.Bytes())); err == nil {
			text = conv
		}
	}
	_, _ = io.CopyN(buf, text, int64(maxSearchText-buf.Len())) // memory only; a charset error keeps what was converted
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

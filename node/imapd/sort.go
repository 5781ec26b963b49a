package imapd

import (
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/node/imapd/mailsort"
	"github.com/yggpost/yggpost/node/mailheader"
)

var (
	_ imapserver.SessionSort   = (*session)(nil)
	_ imapserver.SessionThread = (*session)(nil)
)

// Sort implements SORT and UID SORT (RFC 5256 3): the messages SEARCH would
// find, in the order of the criteria (mailsort.Sort), with the highest
// MODSEQ when the search used MODSEQ (RFC 7162 3.1.5).
func (s *session) Sort(kind imapserver.NumKind, keys []imap.SortCriterion, criteria *imap.SearchCriteria) (*imap.SortData, error) {
	found, err := s.search(criteria)
	if err != nil {
		return nil, err
	}
	byHeader := false
	order := make([]mailsort.Criterion, len(keys))
	for i, k := range keys {
		order[i] = mailsort.Criterion{Key: mailsort.Key(k.Key), Reverse: k.Reverse}
		byHeader = byHeader || k.Key != imap.SortKeyArrival && k.Key != imap.SortKeySize
	}
	msgs, err := s.sortMessages(found, kind, byHeader)
	if err != nil {
		return nil, err
	}
	return &imap.SortData{Nums: mailsort.Sort(msgs, order), ModSeq: resultModSeq(criteria, found)}, nil
}

// Thread implements THREAD and UID THREAD (RFC 5256 4) with the
// ORDEREDSUBJECT and REFERENCES algorithms over the messages SEARCH would
// find.
func (s *session) Thread(kind imapserver.NumKind, algorithm imap.ThreadAlgorithm, criteria *imap.SearchCriteria) ([]imap.Thread, error) {
	found, err := s.search(criteria)
	if err != nil {
		return nil, err
	}
	msgs, err := s.sortMessages(found, kind, true)
	if err != nil {
		return nil, err
	}
	var threads []mailsort.Thread
	switch algorithm {
	case imap.ThreadOrderedSubject:
		threads = mailsort.OrderedSubject(msgs)
	case imap.ThreadReferences:
		threads = mailsort.References(msgs)
	default:
		return nil, badError("unknown THREAD algorithm " + string(algorithm))
	}
	return imapThreads(threads), nil
}

// sortMessages describes found for mailsort, numbered by kind. The header
// fields are read only if withHeader is set.
func (s *session) sortMessages(found []target, kind imapserver.NumKind, withHeader bool) ([]mailsort.Message, error) {
	msgs := make([]mailsort.Message, len(found))
	for i, t := range found {
		msgs[i] = mailsort.Message{Num: numOf(t, kind), Arrival: t.msg.InternalDate, Size: t.msg.Size}
		if !withHeader {
			continue
		}
		c := &content{box: s.sel.box, mailbox: s.sel.name, msg: t.msg}
		block, err := c.header()
		if err != nil {
			return nil, s.endReplaced("sort", err)
		}
		describeHeader(&msgs[i], block)
	}
	return msgs, nil
}

// describeHeader fills in what SORT and THREAD read from a header block:
// the sent date, the decoded subject, the local part of the first address
// of From, To and Cc (RFC 5256 3, "addr-mailbox"), and the message IDs.
func describeHeader(m *mailsort.Message, block []byte) {
	m.Date = sentDateOf(block)
	m.Subject = mailheader.DecodeText(strings.TrimSpace(first(block, "Subject")))
	m.From = firstMailbox(block, "From")
	m.To = firstMailbox(block, "To")
	m.Cc = firstMailbox(block, "Cc")
	m.MessageID = mailheader.MessageID(block)
	m.InReplyTo = first(block, "In-Reply-To")
	m.References = strings.Join(mailheader.Values(block, "References"), " ")
}

// firstMailbox returns the local part of the first mailbox in the field
// called name, or "".
func firstMailbox(block []byte, name string) string {
	boxes := mailheader.Mailboxes(mailheader.AddressList(first(block, name)))
	if len(boxes) == 0 {
		return ""
	}
	return boxes[0].Local
}

// imapThreads converts mailsort's threads to imapserver's.
func imapThreads(ts []mailsort.Thread) []imap.Thread {
	if len(ts) == 0 {
		return nil
	}
	out := make([]imap.Thread, len(ts))
	for i, t := range ts {
		out[i] = imap.Thread{Chain: t.Chain, SubThreads: imapThreads(t.SubThreads)}
	}
	return out
}

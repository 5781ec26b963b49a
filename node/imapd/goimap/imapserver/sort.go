package imapserver

// yggpost patch: this file is added. SORT and THREAD (RFC 5256).

import (
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/internal/imapwire"
)

// SessionSort is a session that implements SORT (RFC 5256 3). The server
// advertises it with Options.Caps ("SORT").
type SessionSort interface {
	Session

	// Sort returns the numbers (sequence numbers or UIDs, after kind) of
	// the messages that match criteria, ordered by sortCriteria.
	Sort(kind NumKind, sortCriteria []imap.SortCriterion, criteria *imap.SearchCriteria) (*imap.SortData, error)
}

// SessionThread is a session that implements THREAD (RFC 5256 4). The
// server advertises the algorithms with Options.Caps ("THREAD=...").
type SessionThread interface {
	Session

	// Thread returns the threads of the messages that match criteria.
	Thread(kind NumKind, algorithm imap.ThreadAlgorithm, criteria *imap.SearchCriteria) ([]imap.Thread, error)
}

// handleSort implements SORT and UID SORT:
//
//	sort = ["UID" SP] "SORT" SP sort-criteria SP search-criteria
//	sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"
//	sort-criterion = ["REVERSE" SP] sort-key
func (c *Conn) handleSort(dec *imapwire.Decoder, numKind NumKind) error {
	session, ok := c.session.(SessionSort)
	if !ok || !c.server.options.caps().Has(imap.Cap("SORT")) {
		return newClientBugError("Unknown command")
	}
	var keys []imap.SortCriterion
	if !dec.ExpectSP() {
		return dec.Err()
	}
	err := dec.ExpectList(func() error {
		key, err := readSortCriterion(dec)
		keys = append(keys, key)
		return err
	})
	if err != nil {
		return err
	}
	criteria, err := c.readSearchCriteria(dec)
	if err != nil {
		return err
	}
	data, err := session.Sort(numKind, keys, criteria)
	if err != nil {
		return err
	}
	enc := newResponseEncoder(c)
	defer enc.end()
	enc.Atom("*").SP().Atom("SORT")
	for _, num := range data.Nums {
		enc.SP().Number(num)
	}
	if data.ModSeq != 0 {
		enc.SP().Special('(').Atom("MODSEQ").SP().ModSeq(data.ModSeq).Special(')')
	}
	return enc.CRLF()
}

func readSortCriterion(dec *imapwire.Decoder) (imap.SortCriterion, error) {
	var c imap.SortCriterion
	var name string
	if !dec.ExpectAtom(&name) {
		return c, dec.Err()
	}
	if strings.EqualFold(name, "REVERSE") {
		c.Reverse = true
		if !dec.ExpectSP() || !dec.ExpectAtom(&name) {
			return c, dec.Err()
		}
	}
	switch key := imap.SortKey(strings.ToUpper(name)); key {
	case imap.SortKeyArrival, imap.SortKeyCc, imap.SortKeyDate, imap.SortKeyFrom, imap.SortKeySize, imap.SortKeySubject, imap.SortKeyTo:
		c.Key = key
		return c, nil
	default:
		return c, newClientBugError("Unknown SORT key")
	}
}

// handleThread implements THREAD and UID THREAD:
//
//	thread = ["UID" SP] "THREAD" SP thread-alg SP search-criteria
func (c *Conn) handleThread(dec *imapwire.Decoder, numKind NumKind) error {
	session, ok := c.session.(SessionThread)
	if !ok {
		return newClientBugError("Unknown command")
	}
	var name string
	if !dec.ExpectSP() || !dec.ExpectAtom(&name) {
		return dec.Err()
	}
	algorithm := imap.ThreadAlgorithm(strings.ToUpper(name))
	if !c.server.options.caps().Has(imap.Cap("THREAD=" + string(algorithm))) {
		return newClientBugError("Unknown THREAD algorithm")
	}
	criteria, err := c.readSearchCriteria(dec)
	if err != nil {
		return err
	}
	threads, err := session.Thread(numKind, algorithm, criteria)
	if err != nil {
		return err
	}
	enc := newResponseEncoder(c)
	defer enc.end()
	enc.Atom("*").SP().Atom("THREAD")
	if len(threads) > 0 {
		enc.SP()
	}
	for _, t := range threads {
		writeThread(enc.Encoder, t)
	}
	return enc.CRLF()
}

// writeThread writes one thread-list (RFC 5256 5):
//
//	thread-list    = "(" (thread-members / thread-nested) ")"
//	thread-members = nz-number *(SP nz-number) [SP thread-nested]
//	thread-nested  = 2*thread-list
func writeThread(enc *imapwire.Encoder, t imap.Thread) {
	enc.Special('(')
	for i, num := range t.Chain {
		if i > 0 {
			enc.SP()
		}
		enc.Number(num)
	}
	if len(t.Chain) > 0 && len(t.SubThreads) > 0 {
		enc.SP()
	}
	for _, sub := range t.SubThreads {
		writeThread(enc, sub)
	}
	enc.Special(')')
}

// readSearchCriteria reads the search criteria of SORT and THREAD, which
// unlike SEARCH's start with a charset (RFC 5256 5):
//
//	search-criteria = charset 1*(SP search-key)
//
// and checks that a mailbox is selected.
func (c *Conn) readSearchCriteria(dec *imapwire.Decoder) (*imap.SearchCriteria, error) {
	var charset string
	if !dec.ExpectSP() || !dec.ExpectAString(&charset) {
		return nil, dec.Err()
	}
	if err := checkSearchCharset(charset); err != nil {
		return nil, err
	}
	var criteria imap.SearchCriteria
	if !dec.ExpectSP() {
		return nil, dec.Err()
	}
	for {
		if err := readSearchKey(&criteria, dec); err != nil {
			return nil, err
		}
		if !dec.SP() {
			break
		}
	}
	if !dec.ExpectCRLF() {
		return nil, dec.Err()
	}
	if err := c.checkState(imap.ConnStateSelected); err != nil {
		return nil, err
	}
	if usesModSeq(&criteria) {
		if err := c.enableCondStore(); err != nil {
			return nil, err
		}
	}
	return &criteria, nil
}

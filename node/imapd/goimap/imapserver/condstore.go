package imapserver

// yggpost patch: this file is added. It parses and writes what CONDSTORE
// and QRESYNC (RFC 7162) add to SELECT, FETCH, STORE, SEARCH, STATUS and
// ENABLE; the handlers of those commands call it.

import (
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/internal/imapwire"
)

// SessionCondStore is a session whose mailboxes keep a mod-sequence per
// message (RFC 7162 CONDSTORE). The server offers CONDSTORE only with
// Options.Caps; the session then honours FetchOptions.ModSeq and
// ChangedSince, StoreOptions.Conditional, SearchCriteria.ModSeq and
// StatusOptions.HighestModSeq, and fills SelectData.HighestModSeq.
type SessionCondStore interface {
	Session

	// HighestModSeq returns the HIGHESTMODSEQ of the selected mailbox as
	// far as the client has been told of its changes.
	HighestModSeq() uint64
}

// SessionQResync is a session that can resynchronise a client at SELECT
// (RFC 7162 QRESYNC). It reports expunges with UpdateWriter.WriteVanished
// and ExpungeWriter.WriteVanished once QRESYNC is enabled.
type SessionQResync interface {
	SessionCondStore

	// Resync writes, after the responses of a SELECT or EXAMINE with the
	// QRESYNC parameter, the VANISHED (EARLIER) and FETCH responses that
	// bring the client from what params says it knew to the mailbox's
	// state (RFC 7162 3.2.5.1).
	Resync(w *FetchWriter, params *imap.SelectQResync) error
}

// enableCondStore enables CONDSTORE when a command uses it (RFC 7162 3.1,
// "CONDSTORE-enabling commands"). If that happens while a mailbox is
// selected, the client is told its HIGHESTMODSEQ, which it has not seen.
func (c *Conn) enableCondStore() error {
	if !c.server.options.caps().Has(imap.CapCondStore) {
		return newClientBugError("CONDSTORE is not supported")
	}
	c.mutex.Lock()
	_, was := c.enabled[imap.CapCondStore]
	c.enabled[imap.CapCondStore] = struct{}{}
	c.mutex.Unlock()
	if was {
		return nil
	}
	code := c.highestModSeqCode()
	if code == "" {
		return nil
	}
	return c.writeStatusResp("", &imap.StatusResponse{
		Type: imap.StatusResponseTypeOK,
		Code: code,
		Text: "Highest mod-sequence",
	})
}

// highestModSeqCode returns the HIGHESTMODSEQ response code of the selected
// mailbox once CONDSTORE is enabled, or "".
func (c *Conn) highestModSeqCode() imap.ResponseCode {
	s, ok := c.session.(SessionCondStore)
	if !ok || c.state != imap.ConnStateSelected || !c.enabled.Has(imap.CapCondStore) {
		return ""
	}
	return imap.ResponseCode(fmt.Sprintf("HIGHESTMODSEQ %d", s.HighestModSeq()))
}

// writeHighestModSeq writes the untagged OK [HIGHESTMODSEQ] of SELECT and
// EXAMINE (RFC 7162 3.1.2.1).
func (c *Conn) writeHighestModSeq(modSeq uint64) error {
	enc := newResponseEncoder(c)
	defer enc.end()
	enc.Atom("*").SP().Atom("OK").SP()
	enc.Special('[').Atom("HIGHESTMODSEQ").SP().ModSeq(modSeq).Special(']')
	enc.SP().Text("Highest mod-sequence")
	return enc.CRLF()
}

// readSelectParams reads the optional parameters of SELECT and EXAMINE
// (RFC 4466 2.1, RFC 7162 3.1.2, 3.2.5):
//
//	select-params = SP "(" select-param *(SP select-param) ")"
//	select-param  = "CONDSTORE" / "QRESYNC" SP "(" uidvalidity SP
//	                mod-sequence-value [SP known-uids] [SP seq-match-data] ")"
func readSelectParams(dec *imapwire.Decoder, options *imap.SelectOptions) error {
	if !dec.SP() {
		return nil
	}
	return dec.ExpectList(func() error {
		var name string
		if !dec.ExpectAtom(&name) {
			return dec.Err()
		}
		switch strings.ToUpper(name) {
		case "CONDSTORE":
			options.CondStore = true
		case "QRESYNC":
			q, err := readQResyncParam(dec)
			if err != nil {
				return err
			}
			options.QResync = q
		default:
			return newClientBugError("Unknown SELECT parameter")
		}
		return nil
	})
}

func readQResyncParam(dec *imapwire.Decoder) (*imap.SelectQResync, error) {
	var q imap.SelectQResync
	if !dec.ExpectSP() || !dec.ExpectSpecial('(') || !dec.ExpectNumber(&q.UIDValidity) || !dec.ExpectSP() || !dec.ExpectModSeq(&q.ModSeq) {
		return nil, dec.Err()
	}
	if q.UIDValidity == 0 || q.ModSeq == 0 {
		return nil, newClientBugError("QRESYNC needs a non-zero UIDVALIDITY and mod-sequence")
	}
	seqMatch := false
	if dec.SP() {
		seqMatch = dec.Special('(')
		if !seqMatch {
			if !dec.ExpectUIDSet(&q.KnownUIDs) {
				return nil, dec.Err()
			}
			if dec.SP() {
				if !dec.ExpectSpecial('(') {
					return nil, dec.Err()
				}
				seqMatch = true
			}
		}
	}
	if seqMatch {
		m, err := readSeqMatch(dec)
		if err != nil {
			return nil, err
		}
		q.SeqMatch = m
	}
	if !dec.ExpectSpecial(')') {
		return nil, dec.Err()
	}
	return &q, nil
}

// readSeqMatch reads seq-match-data after its "(":
// known-sequence-set SP known-uid-set ")".
func readSeqMatch(dec *imapwire.Decoder) (*imap.SeqMatch, error) {
	var seqs imap.NumSet
	var m imap.SeqMatch
	if !dec.ExpectNumSet(imapwire.NumKindSeq, &seqs) || !dec.ExpectSP() || !dec.ExpectUIDSet(&m.UIDs) || !dec.ExpectSpecial(')') {
		return nil, dec.Err()
	}
	m.SeqNums = seqs.(imap.SeqSet)
	return &m, nil
}

// readFetchModifiers reads the modifiers of FETCH (RFC 4466 2.4,
// RFC 7162 3.1.4, 3.2.6): "(" fetch-modifier *(SP fetch-modifier) ")"
// after the data items, with
//
//	fetch-modifier = "CHANGEDSINCE" SP mod-sequence-valzer / "VANISHED"
//
// CHANGEDSINCE implies the MODSEQ data item.
func readFetchModifiers(dec *imapwire.Decoder, options *imap.FetchOptions) error {
	changedSince := false
	err := dec.ExpectList(func() error {
		var name string
		if !dec.ExpectAtom(&name) {
			return dec.Err()
		}
		switch strings.ToUpper(name) {
		case "CHANGEDSINCE":
			if !dec.ExpectSP() || !dec.ExpectModSeq(&options.ChangedSince) {
				return dec.Err()
			}
			changedSince, options.ModSeq = true, true
		case "VANISHED":
			options.Vanished = true
		default:
			return newClientBugError("Unknown FETCH modifier")
		}
		return nil
	})
	if err == nil && options.Vanished && !changedSince {
		return newClientBugError("VANISHED needs CHANGEDSINCE")
	}
	return err
}

// readStoreModifiers reads the modifiers of STORE (RFC 4466 2.5, RFC 7162
// 3.1.3), if there are any: "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"
// SP.
func readStoreModifiers(dec *imapwire.Decoder, options *imap.StoreOptions) error {
	isList, err := dec.List(func() error {
		var name string
		if !dec.ExpectAtom(&name) {
			return dec.Err()
		}
		if !strings.EqualFold(name, "UNCHANGEDSINCE") {
			return newClientBugError("Unknown STORE modifier")
		}
		if !dec.ExpectSP() || !dec.ExpectModSeq(&options.UnchangedSince) {
			return dec.Err()
		}
		options.Conditional = true
		return nil
	})
	if err == nil && isList && !dec.ExpectSP() {
		return dec.Err()
	}
	return err
}

// readSearchModSeq reads the arguments of the MODSEQ search key (RFC 7162
// 3.1.5): [entry-name SP entry-type-req SP] mod-sequence-valzer.
func readSearchModSeq(dec *imapwire.Decoder) (*imap.SearchCriteriaModSeq, error) {
	var m imap.SearchCriteriaModSeq
	if !dec.ExpectSP() {
		return nil, dec.Err()
	}
	if dec.Quoted(&m.MetadataName) {
		var typ string
		if !dec.ExpectSP() || !dec.ExpectAtom(&typ) || !dec.ExpectSP() {
			return nil, dec.Err()
		}
		switch t := imap.SearchCriteriaMetadataType(strings.ToLower(typ)); t {
		case imap.SearchCriteriaMetadataPrivate, imap.SearchCriteriaMetadataShared, imap.SearchCriteriaMetadataAll:
			m.MetadataType = t
		default:
			return nil, newClientBugError("Unknown MODSEQ entry type")
		}
	}
	if !dec.ExpectModSeq(&m.ModSeq) {
		return nil, dec.Err()
	}
	return &m, nil
}

// usesModSeq reports whether criteria hold a MODSEQ key, at any depth.
func usesModSeq(criteria *imap.SearchCriteria) bool {
	if criteria.ModSeq != nil {
		return true
	}
	for i := range criteria.Not {
		if usesModSeq(&criteria.Not[i]) {
			return true
		}
	}
	for _, or := range criteria.Or {
		if usesModSeq(&or[0]) || usesModSeq(&or[1]) {
			return true
		}
	}
	return false
}

// WriteModSeq writes the message's mod-sequence (RFC 7162 3.1.4.1).
func (w *FetchResponseWriter) WriteModSeq(modSeq uint64) {
	w.writeItemSep()
	w.enc.Atom("MODSEQ").SP().Special('(').ModSeq(modSeq).Special(')')
}

// WriteVanishedEarlier writes "* VANISHED (EARLIER) uids": messages the
// client asked about that are gone (RFC 7162 3.2.5.1, 3.2.6).
func (cmd *FetchWriter) WriteVanishedEarlier(uids imap.UIDSet) error {
	return cmd.conn.writeVanished(uids, true)
}

// ReportModified records the messages a conditional STORE did not change
// because they changed since the client's mod-sequence; the command's
// tagged OK lists them in MODIFIED (RFC 7162 3.1.3).
func (cmd *FetchWriter) ReportModified(set imap.NumSet) {
	cmd.modified = set
}

// modifiedCode returns the MODIFIED response code of a STORE, or "".
func (cmd *FetchWriter) modifiedCode() imap.ResponseCode {
	if cmd.modified == nil || isNumSetEmpty(cmd.modified) {
		return ""
	}
	return imap.ResponseCode("MODIFIED " + cmd.modified.String())
}

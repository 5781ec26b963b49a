package imap

// yggpost patch: this file is added; server-side types of SORT and THREAD
// (RFC 5256). imapclient has its own, older types for the client side.

// SortKey is a SORT criterion's key (RFC 5256 3).
type SortKey string

const (
	SortKeyArrival SortKey = "ARRIVAL"
	SortKeyCc      SortKey = "CC"
	SortKeyDate    SortKey = "DATE"
	SortKeyFrom    SortKey = "FROM"
	SortKeySize    SortKey = "SIZE"
	SortKeySubject SortKey = "SUBJECT"
	SortKeyTo      SortKey = "TO"
)

// SortCriterion is one key of a SORT command, optionally reversed.
type SortCriterion struct {
	Key     SortKey
	Reverse bool
}

// SortData is the result of a SORT command.
type SortData struct {
	Nums   []uint32 // sequence numbers or UIDs, in order
	ModSeq uint64   // the highest MODSEQ of the results when the search used MODSEQ (RFC 7162 3.1.5)
}

// Thread is one thread of a THREAD response (RFC 5256 4): Chain lists the
// messages that follow one another without branching, then SubThreads the
// branches under the last of them. A Thread with an empty Chain joins
// threads whose common parent is not in the result.
type Thread struct {
	Chain      []uint32
	SubThreads []Thread
}

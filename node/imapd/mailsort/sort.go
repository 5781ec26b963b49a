package mailsort

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// A Message is what SORT and THREAD look at in one message. Header values
// are given decoded (RFC 2047 encoded words already decoded to UTF-8) by the
// caller.
type Message struct {
	Num     uint32    // sequence number or UID: returned as given
	Arrival time.Time // internal date
	// Date is the Date field's time; zero when missing or unreadable, and
	// then Arrival stands in for it (RFC 5256 §2.2, sent date).
	Date    time.Time
	Size    int64
	Subject string // decoded Subject field value
	// From, To and Cc are the RFC 5256 "addr-mailbox" (local part) of the
	// first address of the field, as the caller extracted it; "" if none.
	From, To, Cc string
	MessageID    string // as in the header, with or without angle brackets
	InReplyTo    string // raw In-Reply-To value
	References   string // raw References value
}

// sentDate is the RFC 5256 §2.2 sent date: the Date field, or the internal
// date when the Date field could not be read.
func (m *Message) sentDate() time.Time {
	if m.Date.IsZero() {
		return m.Arrival
	}
	return m.Date
}

// A Key is a SORT key of RFC 5256 §3, upper case.
type Key string

// The SORT keys of RFC 5256 §3.
const (
	KeyArrival Key = "ARRIVAL"
	KeyCc      Key = "CC"
	KeyDate    Key = "DATE"
	KeyFrom    Key = "FROM"
	KeySize    Key = "SIZE"
	KeySubject Key = "SUBJECT"
	KeyTo      Key = "TO"
)

// A Criterion is one SORT criterion: a key, in reverse order when Reverse
// is set (the REVERSE modifier).
type Criterion struct {
	Key     Key
	Reverse bool
}

// ValidKey returns the Key named k, whatever its case, and whether there is
// one.
func ValidKey(k string) (Key, bool) {
	switch key := Key(strings.ToUpper(k)); key {
	case KeyArrival, KeyCc, KeyDate, KeyFrom, KeySize, KeySubject, KeyTo:
		return key, true
	}
	return "", false
}

// Sort returns the Nums of msgs ordered by criteria, the first criterion
// deciding first. Messages equal under every criterion keep the order they
// have in msgs, which RFC 5256 §3 requires to be sequence order; so do all
// messages when criteria is empty. A key that is not one of the Key
// constants orders nothing (ValidKey screens them).
func Sort(msgs []Message, criteria []Criterion) []uint32 {
	cmps := make([]func(a, b int) int, len(criteria))
	for i, c := range criteria {
		cmps[i] = criterionCompare(msgs, c)
	}
	order := identity(len(msgs))
	slices.SortStableFunc(order, func(a, b int) int {
		for _, c := range cmps {
			if r := c(a, b); r != 0 {
				return r
			}
		}
		return 0
	})
	nums := make([]uint32, len(order))
	for i, m := range order {
		nums[i] = msgs[m].Num
	}
	return nums
}

// criterionCompare compares two indexes of msgs under c. REVERSE reverses
// the key's order only, not the sequence order that breaks ties.
func criterionCompare(msgs []Message, c Criterion) func(a, b int) int {
	compare := keyCompare(msgs, c.Key)
	if c.Reverse {
		return func(a, b int) int { return compare(b, a) }
	}
	return compare
}

// keyCompare compares two indexes of msgs under k. String keys are mapped
// once up front, so that sorting does not map them again per comparison.
func keyCompare(msgs []Message, k Key) func(a, b int) int {
	switch k {
	case KeyArrival:
		return func(a, b int) int { return msgs[a].Arrival.Compare(msgs[b].Arrival) }
	case KeyDate:
		return func(a, b int) int { return msgs[a].sentDate().Compare(msgs[b].sentDate()) }
	case KeySize:
		return func(a, b int) int { return cmp.Compare(msgs[a].Size, msgs[b].Size) }
	case KeySubject:
		return stringsCompare(msgs, func(m *Message) string { return BaseSubject(m.Subject) })
	case KeyFrom:
		return stringsCompare(msgs, func(m *Message) string { return casemap(m.From) })
	case KeyTo:
		return stringsCompare(msgs, func(m *Message) string { return casemap(m.To) })
	case KeyCc:
		return stringsCompare(msgs, func(m *Message) string { return casemap(m.Cc) })
	}
	return func(a, b int) int { return 0 }
}

// stringsCompare compares indexes by key, computed once per message. The
// keys are case-mapped, so comparing their octets is comparing them under
// the collation (see casemap).
func stringsCompare(msgs []Message, key func(*Message) string) func(a, b int) int {
	keys := make([]string, len(msgs))
	for i := range msgs {
		keys[i] = key(&msgs[i])
	}
	return func(a, b int) int { return strings.Compare(keys[a], keys[b]) }
}

// identity returns 0, 1, ..., n-1.
func identity(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

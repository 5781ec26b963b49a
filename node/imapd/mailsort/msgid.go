package mailsort

import "strings"

// Message IDs are compared octet by octet after their angle brackets are
// removed: case-sensitively, as RFC 5322 leaves the local part's case
// significant, and without unquoting or removing comments.

// ownID returns the Message-ID field value's ID: the first <...> token, or
// the whole trimmed value when it has no angle brackets at all. "" means
// the message has none, and RFC 5256 then treats it as unique.
func ownID(field string) string {
	if ids := bracketIDs(field, 1); len(ids) > 0 {
		return ids[0]
	}
	s := strings.TrimSpace(field)
	if strings.ContainsAny(s, "<>") {
		return ""
	}
	return s
}

// referenceIDs returns the message IDs m refers to, oldest first: those of
// the References field, or, when it has none, the first of the In-Reply-To
// field (RFC 5256 §3, REFERENCES step 1).
func referenceIDs(m *Message) []string {
	if ids := bracketIDs(m.References, -1); len(ids) > 0 {
		return ids
	}
	return bracketIDs(m.InReplyTo, 1)
}

// bracketIDs returns the contents of the first max (all when max < 0)
// non-empty <...> tokens in s. Anything else, such as the phrases some
// mailers put into In-Reply-To, is skipped; a "<" inside a token starts the
// token again, so an unclosed "<" does not swallow the next ID.
func bracketIDs(s string, max int) []string {
	var ids []string
	start := -1
	for i := 0; i < len(s) && len(ids) != max; i++ {
		switch s[i] {
		case '<':
			start = i + 1
		case '>':
			if start >= 0 && i > start {
				ids = append(ids, s[start:i])
			}
			start = -1
		}
	}
	return ids
}

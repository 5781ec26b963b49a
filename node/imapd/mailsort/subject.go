package mailsort

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// BaseSubject returns the base subject of subject, as RFC 5256 §2.1
// extracts it, case-mapped for comparison (see casemap): two subjects have
// the same base subject exactly when BaseSubject returns the same string
// for both. subject must already be decoded (RFC 2047 encoded words to
// UTF-8), which is the first half of step (1).
//
// The steps are the RFC's: (1) tabs and line breaks become spaces and runs
// of spaces become one; (2) trailing "(fwd)" and white space are removed;
// (3) leading subj-leader text ("Re:", "Fwd:", "Fw:", each with optional
// [blob]s before it and a [blob] before its colon, and white space) is
// removed; (4) a leading [blob] is removed when something is left after it;
// (5) (3) and (4) repeat until nothing changes; (6) a "[fwd: ...]" wrapper
// is removed and extraction goes back to (2).
func BaseSubject(subject string) string {
	base, _ := extractBase(subject)
	return casemap(base)
}

// extractBase returns the base subject of subject, not case-mapped, and
// whether the subject marks a reply or forward: RFC 5256 §3 (REFERENCES,
// step 5) calls a message one when extraction removed a subj-refwd, a
// "(fwd)" subj-trailer or a subj-fwd-hdr and subj-fwd-trl.
func extractBase(subject string) (string, bool) {
	s := collapseSpace(subject)
	reply := false
	for {
		var fwd, refwd bool
		s, fwd = trimTrailers(s)
		s, refwd = trimLeadersAndBlobs(s)
		reply = reply || fwd || refwd
		inner, ok := unwrapFwd(s)
		if !ok {
			return s, reply
		}
		s, reply = inner, true
	}
}

// collapseSpace is step (1) on decoded text: a tab, CR or LF (what a folded
// header's continuation leaves) is a space, and a run of spaces is one.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\t' || c == '\r' || c == '\n' {
			c = ' '
		}
		if c == ' ' && space {
			continue
		}
		space = c == ' '
		b.WriteByte(c)
	}
	return b.String()
}

// trimTrailers is step (2): it removes subj-trailer ("(fwd)" / WSP) from the
// end until none is left, and tells whether a "(fwd)" was among them.
func trimTrailers(s string) (string, bool) {
	fwd := false
	for {
		switch {
		case s != "" && isWSP(s[len(s)-1]):
			s = s[:len(s)-1]
		case len(s) >= 5 && strings.EqualFold(s[len(s)-5:], "(fwd)"):
			s, fwd = s[:len(s)-5], true
		default:
			return s, fwd
		}
	}
}

// trimLeadersAndBlobs is steps (3) to (5), and tells whether a subj-refwd
// was removed.
func trimLeadersAndBlobs(s string) (string, bool) {
	refwd := false
	for {
		if s != "" && isWSP(s[0]) {
			s = s[1:]
		} else if n := leaderLen(s); n > 0 {
			s, refwd = s[n:], true
		} else if n := blobLen(s); n > 0 && n < len(s) {
			// Step (4): a blob goes only when text remains after it,
			// so that a subject of blobs alone keeps its last one.
			s = s[n:]
		} else {
			return s, refwd
		}
	}
}

// leaderLen is the length of the subj-leader "*subj-blob subj-refwd" at the
// start of s, or 0. subj-refwd cannot start with "[", so the blobs before it
// are all the blobs there are.
func leaderLen(s string) int {
	i := 0
	for {
		n := blobLen(s[i:])
		if n == 0 {
			break
		}
		i += n
	}
	if n := refwdLen(s[i:]); n > 0 {
		return i + n
	}
	return 0
}

// refwdLen is the length of the subj-refwd at the start of s, or 0:
// ("re" / ("fw" ["d"])) *WSP [subj-blob] ":".
func refwdLen(s string) int {
	var i int
	switch {
	case hasPrefixFold(s, "re"):
		i = 2
	case hasPrefixFold(s, "fwd"):
		i = 3
	case hasPrefixFold(s, "fw"):
		i = 2
	default:
		return 0
	}
	for i < len(s) && isWSP(s[i]) {
		i++
	}
	i += blobLen(s[i:])
	if i < len(s) && s[i] == ':' {
		return i + 1
	}
	return 0
}

// blobLen is the length of the subj-blob at the start of s, or 0:
// "[" *BLOBCHAR "]" *WSP, where BLOBCHAR is any octet but NUL, "[" and "]".
func blobLen(s string) int {
	if s == "" || s[0] != '[' {
		return 0
	}
	i := 1
	for i < len(s) && s[i] != ']' {
		if s[i] == '[' || s[i] == 0 {
			return 0
		}
		i++
	}
	if i == len(s) {
		return 0
	}
	i++
	for i < len(s) && isWSP(s[i]) {
		i++
	}
	return i
}

// unwrapFwd is step (6): the text inside a "[fwd:" ... "]" wrapper.
func unwrapFwd(s string) (string, bool) {
	if len(s) >= 6 && hasPrefixFold(s, "[fwd:") && s[len(s)-1] == ']' {
		return s[5 : len(s)-1], true
	}
	return s, false
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix,
// in any case, as ABNF strings match.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// casemap maps s for comparison under the i;unicode-casemap collation that
// RFC 5256 asks for (RFC 5051): each character becomes its titlecase form,
// so that comparing the results' octets compares the strings without
// regard to case. It uses Unicode's simple (one character to one) case
// mappings and skips RFC 5051's NFKD decomposition, which the standard
// library cannot do: "ß" does not match "SS", nor a precomposed character
// its decomposed form. Octets that are not UTF-8 are kept as they are, so
// that distinct strings stay distinct.
func casemap(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteByte(s[i])
		} else {
			b.WriteRune(unicode.ToTitle(r))
		}
		i += n
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

package imapd

import (
	"strings"

	"github.com/yggpost/yggpost/mailbox"
)

// listPattern is one LIST or LSUB pattern joined to its reference (RFC
// 3501 6.3.8): "*" matches any run of characters, "%" any run without the
// hierarchy delimiter, and every other character only itself.
type listPattern struct {
	pattern string // runs of wildcards collapsed to one
	prefix  string // the characters before the first wildcard
	literal int    // how many characters are not wildcards
}

// newListPattern joins reference and pattern the way Dovecot does, by
// concatenation: RFC 3501 leaves open how a reference without a trailing
// delimiter combines. A first level spelled INBOX in any case means INBOX
// (RFC 3501 5.1).
func newListPattern(reference, pattern string) listPattern {
	lp := listPattern{pattern: collapseWildcards(joinListPattern(reference, pattern))}
	lp.prefix = lp.pattern
	if i := strings.IndexAny(lp.pattern, "*%"); i >= 0 {
		lp.prefix = lp.pattern[:i]
	}
	for i := 0; i < len(lp.pattern); i++ {
		if !isWildcard(lp.pattern[i]) {
			lp.literal++
		}
	}
	return lp
}

func joinListPattern(reference, pattern string) string {
	p := reference + pattern
	if len(p) >= len(mailbox.Inbox) && strings.EqualFold(p[:len(mailbox.Inbox)], mailbox.Inbox) &&
		(len(p) == len(mailbox.Inbox) || p[len(mailbox.Inbox)] == delim) {
		p = mailbox.Inbox + p[len(mailbox.Inbox):]
	}
	return p
}

func isWildcard(c byte) bool { return c == '*' || c == '%' }

// collapseWildcards replaces each run of wildcards by "*" if it holds one,
// else by "%": the run matches the same names.
func collapseWildcards(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); {
		if !isWildcard(p[i]) {
			b.WriteByte(p[i])
			i++
			continue
		}
		w := byte('%')
		for ; i < len(p) && isWildcard(p[i]); i++ {
			if p[i] == '*' {
				w = '*'
			}
		}
		b.WriteByte(w)
	}
	return b.String()
}

// match reports whether name matches. It compares bytes: both are UTF-8,
// so a literal character can only match at the start of a character of
// name. Its cost is at most len(name) times the length of the collapsed
// pattern, which a pattern with more literal characters than name has
// letters never reaches.
func (lp listPattern) match(name string) bool {
	if lp.literal > len(name) || !strings.HasPrefix(name, lp.prefix) {
		return false
	}
	p := lp.pattern
	// cur[j] says whether p[:j] matches the part of name read so far.
	cur, next := make([]bool, len(p)+1), make([]bool, len(p)+1)
	cur[0] = true
	for j := 1; j <= len(p) && isWildcard(p[j-1]); j++ {
		cur[j] = true
	}
	for i := 0; i < len(name); i++ {
		c, alive := name[i], false
		next[0] = false
		for j := 1; j <= len(p); j++ {
			switch p[j-1] {
			case '*':
				next[j] = next[j-1] || cur[j]
			case '%':
				next[j] = next[j-1] || (cur[j] && c != delim)
			default:
				next[j] = cur[j-1] && p[j-1] == c
			}
			alive = alive || next[j]
		}
		if !alive {
			return false
		}
		cur, next = next, cur
	}
	return cur[len(p)]
}

// listPatterns is the patterns of one command; a name matches if any does.
type listPatterns []listPattern

func newListPatterns(reference string, patterns []string) listPatterns {
	lps := make(listPatterns, len(patterns))
	for i, p := range patterns {
		lps[i] = newListPattern(reference, p)
	}
	return lps
}

func (lps listPatterns) match(name string) bool {
	for _, lp := range lps {
		if lp.match(name) {
			return true
		}
	}
	return false
}

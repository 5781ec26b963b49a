package maildir

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// KeywordsFile is the name of a folder's keyword list (Dovecot's format).
const KeywordsFile = "dovecot-keywords"

// maxKeywordsFile bounds the keywords file read, in bytes.
const maxKeywordsFile = 64 << 10

// Keywords maps keywords to the letters a to z of one folder. The zero
// value and nil are empty.
type Keywords struct {
	names [26]string
}

// Letter returns the letter of keyword kwd, matched without regard to
// case, if it has one.
func (k *Keywords) Letter(kwd string) (byte, bool) {
	if k == nil || kwd == "" {
		return 0, false
	}
	for i, n := range k.names {
		if n != "" && strings.EqualFold(n, kwd) {
			return 'a' + byte(i), true
		}
	}
	return 0, false
}

// Keyword returns the keyword of letter l, if it has one.
func (k *Keywords) Keyword(l byte) (string, bool) {
	if k == nil || l < 'a' || l > 'z' || k.names[l-'a'] == "" {
		return "", false
	}
	return k.names[l-'a'], true
}

// Assign gives kwd the next free letter unless it has one; it reports
// false when all 26 letters are taken or kwd is not a keyword.
func (k *Keywords) Assign(kwd string) (byte, bool) {
	if !validKeyword(kwd) {
		return 0, false
	}
	if l, ok := k.Letter(kwd); ok {
		return l, true
	}
	for i, n := range k.names {
		if n == "" {
			k.names[i] = kwd
			return 'a' + byte(i), true
		}
	}
	return 0, false
}

// Empty reports whether no letter is assigned.
func (k *Keywords) Empty() bool { return k == nil || k.names == [26]string{} }

// WriteTo writes the keywords file: one "index keyword" line per letter.
func (k *Keywords) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	for i, n := range k.names {
		if n != "" {
			fmt.Fprintf(&b, "%d %s\n", i, n)
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// ParseKeywords reads a keywords file. Lines that are not an index from 0
// to 25, a space and a keyword without white space are skipped, as are a
// keyword listed before under another letter and
// lines after the first 64 KiB: a damaged file loses keywords, never
// messages.
func ParseKeywords(r io.Reader) *Keywords {
	k := &Keywords{}
	sc := bufio.NewScanner(io.LimitReader(r, maxKeywordsFile))
	for sc.Scan() {
		idx, kwd, ok := strings.Cut(strings.TrimRight(sc.Text(), "\r"), " ")
		i, err := strconv.Atoi(idx)
		if !ok || err != nil || i < 0 || i > 25 || !validKeyword(kwd) {
			continue
		}
		if l, dup := k.Letter(kwd); dup && l != 'a'+byte(i) {
			continue // one keyword, one letter: the first line wins
		}
		k.names[i] = kwd
	}
	return k
}

// validKeyword reports whether kwd is an IMAP flag keyword (an atom, not
// a system flag).
func validKeyword(kwd string) bool {
	if kwd == "" || len(kwd) > 128 {
		return false
	}
	for i := 0; i < len(kwd); i++ {
		if c := kwd[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

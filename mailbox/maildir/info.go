package maildir

import (
	"slices"
	"strings"
)

// System flags as the store spells them.
const (
	flagDraft    = `\Draft`
	flagFlagged  = `\Flagged`
	flagAnswered = `\Answered`
	flagSeen     = `\Seen`
	flagDeleted  = `\Deleted`
)

// letters maps the standard info letters to flags, in ASCII order.
var letters = []struct {
	letter byte
	flag   string
}{
	{'D', flagDraft}, {'F', flagFlagged}, {'R', flagAnswered}, {'S', flagSeen}, {'T', flagDeleted},
}

// Info is the info part of a message file name, ":2," and the letters of
// flags in ASCII order. A keyword is written with its letter in kw; one
// without a letter, and \Recent or any other unknown system flag, is left
// out.
func Info(flags []string, kw *Keywords) string {
	var b []byte
	for _, f := range flags {
		if l, ok := systemLetter(f); ok {
			b = append(b, l)
		} else if l, ok := kw.Letter(f); ok {
			b = append(b, l)
		}
	}
	slices.Sort(b)
	return ":2," + string(slices.Compact(b))
}

func systemLetter(flag string) (byte, bool) {
	for _, l := range letters {
		if strings.EqualFold(flag, l.flag) {
			return l.letter, true
		}
	}
	return 0, false
}

// ParseInfo splits a message file name into its unique part and the flags
// of its info. A name without info (as in new/), or with an info of
// another version than 2, has no flags. Letters without a meaning (P,
// passed, has no IMAP flag) and lower-case letters not in kw are ignored.
// The flags come out in the order of their letters, without duplicates.
func ParseInfo(name string, kw *Keywords) (unique string, flags []string) {
	unique, info, ok := strings.Cut(name, ":")
	if !ok || !strings.HasPrefix(info, "2,") {
		return unique, nil
	}
	seen := map[byte]bool{}
	for i := 2; i < len(info); i++ {
		c := info[i]
		if seen[c] {
			continue
		}
		seen[c] = true
		for _, l := range letters {
			if l.letter == c {
				flags = append(flags, l.flag)
			}
		}
		if kwd, ok := kw.Keyword(c); ok {
			flags = append(flags, kwd)
		}
	}
	return unique, flags
}

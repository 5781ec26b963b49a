package mailbox

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxNameLen bounds a mailbox name in bytes.
const maxNameLen = 512

// canonName validates a mailbox name and returns its stored form: INBOX in
// any letter case, as the whole name or as the first level, becomes "INBOX".
func canonName(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("mailbox %q: %w", name, err)
	}
	first, rest, nested := strings.Cut(name, Separator)
	if strings.EqualFold(first, Inbox) {
		if nested {
			return Inbox + Separator + rest, nil
		}
		return Inbox, nil
	}
	return name, nil
}

func checkName(name string) error {
	switch {
	case name == "", len(name) > maxNameLen:
		return ErrBadName
	case !utf8.ValidString(name):
		return ErrBadName
	case strings.HasPrefix(name, Separator), strings.HasSuffix(name, Separator):
		return ErrBadName
	case strings.Contains(name, Separator+Separator):
		return ErrBadName
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '*' || r == '%' || r == utf8.RuneError {
			return ErrBadName
		}
	}
	return nil
}

// parents returns the ancestors of name, outermost first: "a/b/c" gives
// "a", "a/b".
func parents(name string) []string {
	var ps []string
	for i := 0; i < len(name); i++ {
		if name[i] == Separator[0] {
			ps = append(ps, name[:i])
		}
	}
	return ps
}

// isWithin reports whether name is root or below it in the hierarchy.
func isWithin(name, root string) bool {
	return name == root || strings.HasPrefix(name, root+Separator)
}

// CanonName returns the stored form of a mailbox name (INBOX in any letter
// case becomes "INBOX") or an error wrapping ErrBadName, so that a caller
// can check a whole set of names before it writes any.
func CanonName(name string) (string, error) { return canonName(name) }

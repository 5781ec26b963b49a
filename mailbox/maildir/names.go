package maildir

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Inbox is the mailbox kept in the root Maildir.
const Inbox = "INBOX"

// maxDirName bounds a folder directory name in bytes (NAME_MAX of common
// file systems).
const maxDirName = 255

// ErrBadFolder: a mailbox name that maps to no folder, or a directory
// name that is no Maildir++ folder.
var ErrBadFolder = errors.New("not a valid Maildir folder")

// FolderDir returns the directory, relative to the root Maildir, that
// holds mailbox name: "" for INBOX (in any letter case), otherwise one
// directory name starting with "." (see the package comment). It refuses
// an empty name, empty levels ("a//b", "/a", "a/"), invalid UTF-8 and a
// result longer than 255 bytes.
func FolderDir(name string) (string, error) {
	if strings.EqualFold(name, Inbox) {
		return "", nil
	}
	if name == "" || !utf8.ValidString(name) {
		return "", fmt.Errorf("mailbox %q: %w", name, ErrBadFolder)
	}
	var b strings.Builder
	for _, level := range strings.Split(name, "/") {
		if level == "" {
			return "", fmt.Errorf("mailbox %q: empty level: %w", name, ErrBadFolder)
		}
		b.WriteByte('.')
		for i := 0; i < len(level); i++ {
			if c := level[i]; escaped(c) {
				fmt.Fprintf(&b, "%%%02X", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	if b.Len() > maxDirName {
		return "", fmt.Errorf("mailbox %q: folder name longer than %d bytes: %w", name, maxDirName, ErrBadFolder)
	}
	return b.String(), nil
}

func escaped(c byte) bool {
	return c == '.' || c == '/' || c == '%' || c < 0x20 || c == 0x7f
}

// FolderName returns the mailbox name of a Maildir++ folder directory
// (".Work.Projects" gives "Work/Projects"), reversing FolderDir. It
// refuses a name that does not start with ".", has an empty level
// (".", "..", ".a..b", ".a."), a bad or needless escape, a "/", a
// control byte, or more than 255 bytes.
func FolderName(dir string) (string, error) {
	if len(dir) < 2 || len(dir) > maxDirName || dir[0] != '.' {
		return "", fmt.Errorf("folder %q: %w", dir, ErrBadFolder)
	}
	var b strings.Builder
	for _, level := range strings.Split(dir[1:], ".") {
		if level == "" {
			return "", fmt.Errorf("folder %q: empty level: %w", dir, ErrBadFolder)
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		if err := unescapeLevel(&b, level); err != nil {
			return "", fmt.Errorf("folder %q: %w", dir, err)
		}
	}
	name := b.String()
	if !utf8.ValidString(name) {
		return "", fmt.Errorf("folder %q: not UTF-8: %w", dir, ErrBadFolder)
	}
	return name, nil
}

func unescapeLevel(b *strings.Builder, level string) error {
	for i := 0; i < len(level); i++ {
		c := level[i]
		if c == '/' || c < 0x20 || c == 0x7f {
			return fmt.Errorf("byte %#x: %w", c, ErrBadFolder)
		}
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(level) {
			return fmt.Errorf("cut escape: %w", ErrBadFolder)
		}
		v, ok := unhex(level[i+1], level[i+2])
		if !ok || !escaped(v) {
			return fmt.Errorf("escape %q: %w", level[i:i+3], ErrBadFolder)
		}
		if v == '/' {
			return fmt.Errorf("escaped separator: %w", ErrBadFolder)
		}
		b.WriteByte(v)
		i += 2
	}
	return nil
}

func unhex(a, b byte) (byte, bool) {
	x, ok1 := hexVal(a)
	y, ok2 := hexVal(b)
	return x<<4 | y, ok1 && ok2
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

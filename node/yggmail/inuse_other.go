//go:build !linux

package yggmail

// openedElsewhere cannot tell on this system; the journal files and
// SQLite's own locks still guard the import (checkNotInUse).
func openedElsewhere(string) (int, bool) { return 0, false }

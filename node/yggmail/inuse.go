package yggmail

import (
	"fmt"
	"os"
	"path/filepath"
)

// checkNotInUse refuses a database that a Yggmail node may be using.
// SQLite locks a file only while a transaction runs, so an idle Yggmail
// holds no lock that a reader could see; hence two further signs: the
// files SQLite keeps beside a database while it writes (a rollback
// journal, or a write-ahead log), and, where the system tells, another
// process that has the file open. The read transaction that Open then
// begins fails with SQLITE_BUSY if a writer holds the lock (classify).
func checkNotInUse(path string) error {
	for _, suffix := range []string{"-journal", "-wal"} {
		if _, err := os.Stat(path + suffix); err == nil {
			return fmt.Errorf("%w: %s lies beside it, so a Yggmail node is writing to it or stopped in the middle of a write: stop Yggmail (after a crash, start and stop it once) and try again",
				ErrInUse, filepath.Base(path+suffix))
		}
	}
	if pid, ok := openedElsewhere(path); ok {
		return fmt.Errorf("%w: process %d has it open; stop Yggmail and try again", ErrInUse, pid)
	}
	return nil
}

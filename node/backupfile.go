package node

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/yggpost/yggpost/internal/chunkstore"
	"github.com/yggpost/yggpost/node/backup"
	"github.com/yggpost/yggpost/node/relayrole"
	"github.com/yggpost/yggpost/relay"
)

// Sections of a node's backup file (node/backup): the mailbox store, which
// holds the key, the password hash, the mail and the outbox; and the relay
// store of a node that is or was a relay.
const (
	sectionMailbox = "mailbox"
	sectionRelay   = "relay"
)

// Backup writes a backup of the node's databases to w: a consistent
// snapshot of each, taken while the node serves. It works on a running
// node (the control socket's "backup") and on one only opened.
func (n *Node) Backup(w io.Writer) error {
	bw := backup.NewWriter(w)
	if err := dumpSection(bw, sectionMailbox, n.store.Dump); err != nil {
		return err
	}
	if err := n.dumpRelay(bw); err != nil {
		return err
	}
	if err := bw.Close(); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	return nil
}

// dumpRelay adds the relay store: the running relay's, or the one a
// relay left in the database directory.
func (n *Node) dumpRelay(bw *backup.Writer) error {
	if role := n.runningRole(); role != nil {
		return dumpSection(bw, sectionRelay, role.Dump)
	}
	dir := relayrole.Dir(n.cfg.Database)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	r, err := relay.Open(dir, relay.Options{Key: n.key, Logger: n.log})
	if err != nil {
		return fmt.Errorf("back up the relay store: %w", err)
	}
	defer r.Close()
	return dumpSection(bw, sectionRelay, r.Dump)
}

func dumpSection(bw *backup.Writer, name string, dump func(io.Writer) error) error {
	w, err := bw.Section(name)
	if err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	if err := dump(w); err != nil {
		return fmt.Errorf("back up the %s store: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	return nil
}

// Restore makes the database directory database, which must be missing or
// empty, from a backup read from r. Nothing stays behind unless the whole
// backup was read and its checksum matched.
func Restore(database string, r io.Reader, log *slog.Logger) (err error) {
	if entries, err := os.ReadDir(database); err == nil && len(entries) > 0 {
		return fmt.Errorf("restore into %s: the directory is not empty (restore into a new one)", database)
	}
	if err := os.MkdirAll(database, 0o700); err != nil {
		return fmt.Errorf("restore into %s: %w", database, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, clearDir(database))
		}
	}()
	br, err := backup.NewReader(r)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	seen := map[string]bool{}
	for {
		name, body, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if err := restoreSection(database, name, body, seen, log); err != nil {
			return err
		}
	}
	if !seen[sectionMailbox] {
		return fmt.Errorf("restore: %w: it holds no mailbox", backup.ErrDamaged)
	}
	return nil
}

func restoreSection(database, name string, body io.Reader, seen map[string]bool, log *slog.Logger) error {
	var dir string
	switch name {
	case sectionMailbox:
		dir = database
	case sectionRelay:
		dir = relayrole.Dir(database)
	default:
		return fmt.Errorf("restore: the backup holds a %q store, which this version does not know", name)
	}
	if seen[name] {
		return fmt.Errorf("restore: %w: two %s sections", backup.ErrDamaged, name)
	}
	seen[name] = true
	if err := chunkstore.Load(dir, body, log); err != nil {
		return fmt.Errorf("restore the %s store: %w", name, err)
	}
	return nil
}

// clearDir removes what a failed restore put into dir, leaving dir.
func clearDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(dir+string(os.PathSeparator)+e.Name()))
	}
	return errors.Join(errs...)
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/control"
)

// backupFlags are -backup and -restore.
type backupFlags struct {
	backup  string
	restore string
}

func (f *backupFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.backup, "backup", "", "write a backup of the database (key, password, mail, outbox, relay store) to `file` and exit; works while the node runs")
	fs.StringVar(&f.restore, "restore", "", "restore a backup `file` into -database, which must be new or empty, and exit")
}

// run carries out -backup or -restore; done is false when neither was given.
func (f *backupFlags) run(cfg node.Config, stdout, stderr io.Writer, log *slog.Logger) (code int, done bool) {
	switch {
	case f.backup != "" && f.restore != "":
		fmt.Fprintln(stderr, "yggpost: -backup and -restore go one at a time")
		return exitUsage, true
	case f.backup != "":
		return report(stderr, "-backup", writeBackup(cfg, f.backup)), true
	case f.restore != "":
		if err := restoreBackup(cfg.Database, f.restore, log); err != nil {
			return report(stderr, "-restore", err), true
		}
		return printAddress(cfg, stdout, stderr), true
	}
	return exitOK, false
}

func report(stderr io.Writer, flag string, err error) int {
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: %s: %v\n", flag, err)
		return exitStore
	}
	return exitOK
}

// writeBackup writes the backup next to file first and renames it into
// place once it is complete and on disk, so that file is never a partial
// backup. A running node writes it through its control socket; otherwise
// the database is opened here.
func writeBackup(cfg node.Config, file string) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), filepath.Base(file)+".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := backupInto(cfg, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

func backupInto(cfg node.Config, w io.Writer) error {
	out, err := control.Call(cfg.Database, control.Request{Command: "backup"})
	if err == nil {
		defer out.Close()
		if _, err := io.Copy(w, out); err != nil {
			return fmt.Errorf("from the running node: %w", err)
		}
		return nil
	}
	if !errors.Is(err, control.ErrNotRunning) {
		return err
	}
	n, err := node.Open(cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	return n.Backup(w)
}

func restoreBackup(database, file string, log *slog.Logger) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return node.Restore(database, f, log)
}

// printAddress prints the node's address, asking the running node when
// there is one (the database is locked by it).
func printAddress(cfg node.Config, stdout, stderr io.Writer) int {
	out, err := control.Call(cfg.Database, control.Request{Command: "address"})
	if err == nil {
		defer out.Close()
		if _, err := io.Copy(stdout, out); err != nil {
			return report(stderr, "-address", err)
		}
		return exitOK
	}
	if !errors.Is(err, control.ErrNotRunning) {
		return report(stderr, "-address", err)
	}
	n, err := node.Open(cfg)
	if err != nil {
		return report(stderr, "-address", err)
	}
	defer n.Close()
	fmt.Fprintln(stdout, n.Address())
	return exitOK
}

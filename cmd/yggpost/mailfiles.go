package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailfile"
)

// mailFileFlags are the flags of export to Maildir and import from
// Maildir and mbox, which work on the database of a stopped node.
type mailFileFlags struct {
	export  string
	maildir string
	mbox    string
	into    string
}

func (m *mailFileFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.export, "export", "", "write all mail as a Maildir++ tree into `dir` (new or empty) and exit; the node must be stopped")
	fs.StringVar(&m.maildir, "import-maildir", "", "import a Maildir folder or Maildir++ tree at `path` and exit; the node must be stopped")
	fs.StringVar(&m.mbox, "import-mbox", "", "import the mbox `file` and exit; the node must be stopped")
	fs.StringVar(&m.into, "into", "", "`mailbox` that -import-maildir or -import-mbox fills (default INBOX; created if missing)")
}

// requested reports whether one of the flags was given.
func (m *mailFileFlags) requested() bool {
	return m.export != "" || m.maildir != "" || m.mbox != "" || m.into != ""
}

func (m *mailFileFlags) check() error {
	n := 0
	for _, v := range []string{m.export, m.maildir, m.mbox} {
		if v != "" {
			n++
		}
	}
	switch {
	case n == 0:
		return errors.New("-into needs -import-maildir or -import-mbox")
	case n > 1:
		return errors.New("give one of -export, -import-maildir and -import-mbox")
	case m.export != "" && m.into != "":
		return errors.New("-into applies to -import-maildir and -import-mbox, not -export")
	}
	return nil
}

// runMailFile exports or imports mail with the database at dir.
func runMailFile(ctx context.Context, m mailFileFlags, dir string, logger *slog.Logger, stdout, stderr io.Writer) int {
	if err := m.check(); err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\n", err)
		return exitUsage
	}
	if _, err := os.Stat(dir); err != nil {
		fmt.Fprintf(stderr, "yggpost: no database at %s (check -database): %v\n", dir, err)
		return exitStore
	}
	store, err := mailbox.Open(dir, mailbox.Options{Logger: logger.With("component", "mailbox")})
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\nyggpost: is the node running on this database? Stop it first.\n", err)
		return exitStore
	}
	defer store.Close()
	var rep mailfile.Report
	var verb string
	switch {
	case m.export != "":
		verb = "exported"
		rep, err = mailfile.Export(ctx, store, m.export)
	case m.maildir != "":
		verb = "imported"
		rep, err = mailfile.ImportMaildir(ctx, store, m.maildir, m.into)
	default:
		verb = "imported"
		rep, err = mailfile.ImportMbox(ctx, store, m.mbox, m.into)
	}
	return reportMailFile(verb, rep, err, stdout, stderr)
}

func reportMailFile(verb string, rep mailfile.Report, err error, stdout, stderr io.Writer) int {
	for _, n := range rep.Notes {
		fmt.Fprintf(stderr, "yggpost: note: %s\n", n)
	}
	for _, f := range rep.Failed {
		fmt.Fprintf(stderr, "yggpost: failed: %s\n", f)
	}
	fmt.Fprintf(stdout, "%s %d messages (%d mailboxes)", verb, rep.Messages, rep.Mailboxes)
	if rep.Duplicates > 0 {
		fmt.Fprintf(stdout, "; %d already there, skipped", rep.Duplicates)
	}
	fmt.Fprintln(stdout)
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\n", err)
		if errors.Is(err, mailfile.ErrTargetNotEmpty) {
			return exitUsage
		}
		return exitRuntime
	}
	return exitOK
}

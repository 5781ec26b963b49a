package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/yggpost/yggpost/node"
)

// importFlags holds -import-yggmail.
type importFlags struct {
	yggmail string
}

func (f *importFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.yggmail, "import-yggmail", "", "copy the Yggmail database `file` (yggmail.db: address, password, mail, queued mail) into -database and exit; safe to run again")
}

// runImport imports src into cfg.Database, shows progress on a terminal
// and always ends with one summary line.
func runImport(ctx context.Context, cfg node.Config, src string, stderr io.Writer) int {
	var show func(node.ImportProgress)
	if isTerminalWriter(stderr) {
		p := &progressLine{w: stderr, every: 250 * time.Millisecond, now: time.Now}
		show = p.update
		defer p.finish()
	}
	sum, err := node.ImportYggmail(ctx, cfg, src, show)
	if err != nil {
		fmt.Fprintf(stderr, "\nyggpost: -import-yggmail: %v\n", err)
		return exitStore
	}
	fmt.Fprintln(stderr, summaryLine(sum))
	if sum.Password == "none" {
		fmt.Fprintln(stderr, "Yggmail had no password: set one with yggpost -password")
	}
	return exitOK
}

func summaryLine(s node.ImportSummary) string {
	return fmt.Sprintf("imported %s: %d messages (%s) in %d mailboxes, %d stored by an earlier run, %d queued to send, password %s, in %s",
		s.Address, s.Messages, humanBytes(s.Bytes), s.Mailboxes, s.Skipped, s.Queued, s.Password, s.Duration.Round(time.Millisecond))
}

// isTerminalWriter reports whether w is a terminal, where a progress line
// that rewrites itself is readable; in a log it would be noise.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressLine rewrites one line at most every every, and ends it with a
// newline when a mailbox is done, so each mailbox leaves one line.
type progressLine struct {
	w     io.Writer
	every time.Duration
	now   func() time.Time
	last  time.Time
	open  bool // a line was written and not yet ended
}

func (p *progressLine) update(pr node.ImportProgress) {
	now := p.now()
	if !pr.MailboxDone && now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "\r%-24.24s %d/%d messages, %s/%s", pr.Mailbox, pr.Messages, pr.TotalMessages, humanBytes(pr.Bytes), humanBytes(pr.TotalBytes))
	p.open = !pr.MailboxDone
	if pr.MailboxDone {
		fmt.Fprintln(p.w)
	}
}

func (p *progressLine) finish() {
	if p.open {
		fmt.Fprintln(p.w)
	}
}

package mailfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/mailbox/mbox"
	"github.com/yggpost/yggpost/node/mailheader"
)

// ImportMbox appends the messages of the mbox file to mailbox into
// (INBOX if ""). Flags come from the Status and X-Status fields, the
// internal date from the From_ line, or the file's mtime when that has
// none. A message is read twice, once to compare it with what the
// mailbox holds and once to store it, each time from the file: the file
// must not change during the import.
func ImportMbox(ctx context.Context, s *mailbox.Store, file, into string) (Report, error) {
	var rep Report
	if into == "" {
		into = mailbox.Inbox
	}
	f, err := os.Open(file)
	if err != nil {
		return rep, fmt.Errorf("import mbox: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return rep, fmt.Errorf("import mbox: %w", err)
	}
	im := newImporter(s, &rep)
	if _, err := im.target(into); err != nil {
		return rep, err
	}
	r := mbox.NewReader(f)
	for {
		line, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("import mbox %q: %w", file, err)
		}
		src, err := mboxSource(f, file, r, line, fi.ModTime())
		if err != nil {
			return rep, fmt.Errorf("import mbox %q: %w", file, err)
		}
		if r.CutShort() {
			rep.note("%s: the last message ends without a line break: the file may be cut short", src.desc)
		}
		if err := im.add(ctx, into, src); err != nil {
			return rep, err
		}
	}
	return rep, rep.err("import")
}

// mboxSource reads the message r is at to its end for its flags and its
// extent in f, and returns it as a source that reads that extent again.
func mboxSource(f *os.File, file string, r *mbox.Reader, line mbox.FromLine, mtime time.Time) (source, error) {
	block, rest, err := mailheader.Read(r, mailheader.DefaultMax)
	if err != nil && !errors.Is(err, mailheader.ErrTooLarge) {
		return source{}, err
	}
	if _, err := io.Copy(io.Discard, rest); err != nil {
		return source{}, err
	}
	start, end := line.Offset, r.End()
	date := line.Date
	if date.IsZero() {
		date = mtime
	}
	flags := mbox.StatusFlags(append(mailheader.Values(block, "Status"), mailheader.Values(block, "X-Status")...)...)
	return source{
		desc:  fmt.Sprintf("%s at byte %d", file, start),
		open:  func() (io.ReadCloser, error) { return openExtent(f, start, end) },
		flags: flags,
		date:  date,
	}, nil
}

// openExtent reads the one message in f between start and end.
func openExtent(f *os.File, start, end int64) (io.ReadCloser, error) {
	r := mbox.NewReader(io.NewSectionReader(f, start, end-start))
	if _, err := r.Next(); err != nil {
		return nil, fmt.Errorf("read again at byte %d: %w", start, err)
	}
	return io.NopCloser(r), nil
}

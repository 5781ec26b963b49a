package mailfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/yggpost/yggpost/mailbox"
)

// source is one message to import: open gives its bytes, as often as it
// is called.
type source struct {
	desc  string // for reports: a file name, or mbox and offset
	open  func() (io.ReadCloser, error)
	flags []string
	date  time.Time
}

// importer appends messages to the mailboxes of one store.
type importer struct {
	s    *mailbox.Store
	rep  *Report
	held map[string]*held
}

func newImporter(s *mailbox.Store, rep *Report) *importer {
	return &importer{s: s, rep: rep, held: map[string]*held{}}
}

// target creates mailbox name, subscribed, if it does not exist, and
// reads what it holds.
func (im *importer) target(name string) (*held, error) {
	if h, ok := im.held[name]; ok {
		return h, nil
	}
	err := im.s.CreateMailbox(name)
	switch {
	case err == nil:
		if err := im.s.SetSubscribed(name, true); err != nil {
			return nil, fmt.Errorf("import into %q: %w", name, err)
		}
	case !errors.Is(err, mailbox.ErrExists):
		return nil, fmt.Errorf("import into %q: %w", name, err)
	}
	h, err := newHeld(im.s, name)
	if err != nil {
		return nil, fmt.Errorf("import into %q: %w", name, err)
	}
	im.held[name] = h
	im.rep.Mailboxes++
	return h, nil
}

// add appends src to mailbox name unless the mailbox holds it. Failures
// of the message go to the report; an error stops the import.
func (im *importer) add(ctx context.Context, name string, src source) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	h, err := im.target(name)
	if err != nil {
		return err
	}
	sum, size, err := im.digest(src)
	if err != nil {
		im.rep.fail("%s: %v", src.desc, err)
		return nil
	}
	if size == 0 {
		im.rep.note("%s: empty message, not imported", src.desc)
		return nil
	}
	dup, err := h.take(size, sum)
	if err != nil {
		return fmt.Errorf("import into %q: %w", name, err)
	}
	if dup {
		im.rep.Duplicates++
		return nil
	}
	if err := im.append(name, src); err != nil {
		im.rep.fail("%s: %v", src.desc, err)
		return nil
	}
	im.rep.Messages++
	return nil
}

func (im *importer) digest(src source) (digest, int64, error) {
	body, err := src.open()
	if err != nil {
		return digest{}, 0, err
	}
	defer body.Close()
	return digestOf(body)
}

// append stores src; if the store refuses its keywords, it stores it
// with its system flags only.
func (im *importer) append(name string, src source) error {
	err := im.appendFlags(name, src, src.flags)
	if !errors.Is(err, mailbox.ErrBadFlag) {
		return err
	}
	var system []string
	for _, f := range src.flags {
		if strings.HasPrefix(f, `\`) {
			system = append(system, f)
		}
	}
	im.rep.note("%s: keywords %v refused by the store, left out", src.desc, src.flags)
	return im.appendFlags(name, src, system)
}

func (im *importer) appendFlags(name string, src source, flags []string) error {
	body, err := src.open()
	if err != nil {
		return err
	}
	defer body.Close()
	_, _, err = im.s.Append(name, body, mailbox.AppendOptions{Flags: flags, Date: src.date})
	return err
}

package mailfile

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/mailbox/maildir"
)

// ImportMaildir appends the messages of the Maildir at path, a single
// folder or a Maildir++ tree, to the store. The root folder goes into
// mailbox into, and a subfolder ".A.B" into "into/A/B"; with into "" or
// INBOX (in any case) the root goes into INBOX and the subfolders keep
// their own names ("A/B"), so a tree written by Export comes back as it
// was. Messages come from new/ and cur/, their flags from the info
// letters, their internal dates from the files' mtimes.
func ImportMaildir(ctx context.Context, s *mailbox.Store, path, into string) (Report, error) {
	var rep Report
	folders, skipped, err := maildir.Tree(path)
	noteSkipped(&rep, skipped)
	if err != nil {
		return rep, err
	}
	im := newImporter(s, &rep)
	for _, f := range folders {
		if err := importFolder(ctx, im, f.Dir, targetName(into, f.Name)); err != nil {
			return rep, err
		}
	}
	return rep, rep.err("import")
}

// targetName is the mailbox of folder name (a FolderName, "" for the
// root) imported under into.
func targetName(into, name string) string {
	topLevel := into == "" || strings.EqualFold(into, maildir.Inbox)
	switch {
	case name == "" && topLevel:
		return maildir.Inbox
	case name == "":
		return into
	case topLevel:
		return name
	}
	return into + "/" + name
}

func importFolder(ctx context.Context, im *importer, dir, name string) error {
	msgs, skipped, err := maildir.ReadFolder(dir)
	noteSkipped(im.rep, skipped)
	if err != nil {
		return err
	}
	if _, err := im.target(name); errors.Is(err, mailbox.ErrBadName) {
		im.rep.fail("%s: %v", dir, err)
		return nil
	} else if err != nil {
		return err
	}
	for _, m := range msgs {
		src := source{
			desc:  m.Path,
			open:  func() (io.ReadCloser, error) { return os.Open(m.Path) },
			flags: m.Flags,
			date:  m.Date,
		}
		if err := im.add(ctx, name, src); err != nil {
			return err
		}
	}
	return nil
}

func noteSkipped(rep *Report, skipped []maildir.Skipped) {
	for _, s := range skipped {
		rep.note("%s: skipped: %s", s.Path, s.Reason)
	}
}

package mailfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/mailbox/maildir"
)

// Export writes every mailbox of s as a Maildir++ tree under dir (see the
// package comment). It stops at the first error writing dir or listing
// the store; a message that cannot be read from the store is reported in
// the Report and the export goes on.
func Export(ctx context.Context, s *mailbox.Store, dir string) (Report, error) {
	var rep Report
	if err := emptyTarget(dir); err != nil {
		return rep, err
	}
	boxes, err := s.Mailboxes()
	if err != nil {
		return rep, fmt.Errorf("export: %w", err)
	}
	folders, err := folderDirs(boxes)
	if err != nil {
		return rep, err
	}
	for _, box := range boxes {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("export: %w", err)
		}
		if err := exportMailbox(s, dir, box.Name, folders[box.Name], &rep); err != nil {
			return rep, err
		}
		rep.Mailboxes++
	}
	if err := exportSubscriptions(s, dir); err != nil {
		return rep, err
	}
	return rep, rep.err("export")
}

// emptyTarget creates dir, or checks that it is an empty directory.
func emptyTarget(dir string) error {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err != nil && err != io.EOF {
		return fmt.Errorf("export to %q: %w", dir, err)
	}
	if len(names) > 0 {
		return fmt.Errorf("export to %q: %w", dir, ErrTargetNotEmpty)
	}
	return nil
}

// folderDirs maps every mailbox to its folder directory before anything
// is written, so that a name that maps to no folder, or two names that
// map to one, stop the export before it starts.
func folderDirs(boxes []mailbox.Mailbox) (map[string]string, error) {
	dirs := map[string]string{}
	owner := map[string]string{}
	for _, box := range boxes {
		rel, err := maildir.FolderDir(box.Name)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		if other, ok := owner[rel]; ok {
			return nil, fmt.Errorf("export: mailboxes %q and %q map to one folder %q", other, box.Name, rel)
		}
		owner[rel], dirs[box.Name] = box.Name, rel
	}
	return dirs, nil
}

// exportMailbox writes the messages of mailbox name into folder rel.
func exportMailbox(s *mailbox.Store, root, name, rel string, rep *Report) error {
	w, err := maildir.Create(root, rel)
	if err != nil {
		return fmt.Errorf("export %q: %w", name, err)
	}
	msgs, err := s.Messages(name)
	if err != nil {
		return fmt.Errorf("export %q: %w", name, err)
	}
	kw := &maildir.Keywords{}
	for _, m := range msgs {
		if err := exportMessage(s, w, name, m, kw, rep); err != nil {
			return err
		}
	}
	if err := w.WriteKeywords(kw); err != nil {
		return fmt.Errorf("export %q: %w", name, err)
	}
	if err := w.Sync(); err != nil {
		return fmt.Errorf("export %q: %w", name, err)
	}
	return nil
}

func exportMessage(s *mailbox.Store, w *maildir.Writer, name string, m mailbox.Message, kw *maildir.Keywords, rep *Report) error {
	for _, f := range m.Flags {
		if _, ok := kw.Assign(f); !ok && !strings.HasPrefix(f, `\`) {
			rep.note("%s UID %d: keyword %q not exported: no letter left (26 per folder)", name, m.UID, f)
		}
	}
	body, err := s.OpenMessage(name, m.UID)
	if err != nil {
		rep.fail("%s UID %d: %v", name, m.UID, err)
		return nil
	}
	defer body.Close()
	if _, err := w.Deliver(body, maildir.Info(m.Flags, kw), m.InternalDate); err != nil {
		return fmt.Errorf("export %q UID %d: %w", name, m.UID, err)
	}
	rep.Messages++
	return nil
}

// exportSubscriptions writes the subscribed names that have a folder name.
func exportSubscriptions(s *mailbox.Store, root string) error {
	names, err := s.Subscriptions()
	if err != nil {
		return fmt.Errorf("export subscriptions: %w", err)
	}
	var b strings.Builder
	for _, name := range names {
		rel, err := maildir.FolderDir(name)
		if err != nil {
			continue
		}
		if rel == "" {
			rel = "." + maildir.Inbox
		}
		b.WriteString(rel[1:] + "\n")
	}
	return maildir.WriteRootFile(root, "subscriptions", []byte(b.String()))
}

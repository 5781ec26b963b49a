package maildir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Message is one message file of a folder.
type Message struct {
	Path  string    // the file
	Flags []string  // from the info letters (ParseInfo)
	Date  time.Time // the file's modification time
	Size  int64
}

// Skipped is an entry a reader left alone, and why.
type Skipped struct {
	Path   string
	Reason string
}

// Folder is one Maildir folder of a tree.
type Folder struct {
	Dir  string // its directory
	Name string // "" for the root, else the mailbox name from FolderName
}

// IsMaildir reports whether dir has a cur or a new directory.
func IsMaildir(dir string) bool {
	return isDir(filepath.Join(dir, "cur")) || isDir(filepath.Join(dir, "new"))
}

func isDir(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.IsDir()
}

// Tree returns the folders of the Maildir at root: root itself if it is a
// Maildir, then its Maildir++ subfolders (directories named ".A.B" that
// are Maildirs) sorted by name. Entries that look like subfolders but are
// not (a bad name, no cur or new, a symbolic link) are returned as
// skipped. It fails if root holds no folder at all.
func Tree(root string) ([]Folder, []Skipped, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, fmt.Errorf("read maildir %q: %w", root, err)
	}
	var folders []Folder
	var skipped []Skipped
	if IsMaildir(root) {
		folders = append(folders, Folder{Dir: root})
	}
	for _, e := range entries {
		path := filepath.Join(root, e.Name())
		if !strings.HasPrefix(e.Name(), ".") || !e.IsDir() {
			continue
		}
		name, err := FolderName(e.Name())
		switch {
		case err != nil:
			skipped = append(skipped, Skipped{path, err.Error()})
		case !IsMaildir(path):
			skipped = append(skipped, Skipped{path, "no cur or new directory"})
		default:
			folders = append(folders, Folder{Dir: path, Name: name})
		}
	}
	if len(folders) == 0 {
		return nil, skipped, fmt.Errorf("read maildir %q: no cur or new directory and no Maildir++ subfolder", root)
	}
	return folders, skipped, nil
}

// ReadFolder lists the messages of the folder dir, those in new/ and then
// those in cur/, each sorted by name, with flags read through the
// folder's keywords file. Files whose names start with "." and anything
// that is not a regular file (a directory, a symbolic link, a device) are
// not messages: they are returned as skipped. Bodies are not read.
func ReadFolder(dir string) ([]Message, []Skipped, error) {
	kw := readKeywords(dir)
	var msgs []Message
	var skipped []Skipped
	for _, sub := range []string{"new", "cur"} {
		m, s, err := readSub(filepath.Join(dir, sub), kw)
		if err != nil {
			return nil, nil, err
		}
		msgs, skipped = append(msgs, m...), append(skipped, s...)
	}
	return msgs, skipped, nil
}

func readSub(dir string, kw *Keywords) ([]Message, []Skipped, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read folder %q: %w", dir, err)
	}
	var msgs []Message
	var skipped []Skipped
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			skipped = append(skipped, Skipped{path, "hidden file"})
			continue
		}
		if !e.Type().IsRegular() {
			skipped = append(skipped, Skipped{path, "not a regular file"})
			continue
		}
		fi, err := e.Info()
		if err != nil {
			skipped = append(skipped, Skipped{path, err.Error()})
			continue
		}
		_, flags := ParseInfo(e.Name(), kw)
		msgs = append(msgs, Message{Path: path, Flags: flags, Date: fi.ModTime(), Size: fi.Size()})
	}
	slices.SortFunc(msgs, func(a, b Message) int { return strings.Compare(a.Path, b.Path) })
	return msgs, skipped, nil
}

// readKeywords reads the keywords file of dir; a missing or unreadable
// one gives no keywords.
func readKeywords(dir string) *Keywords {
	f, err := os.Open(filepath.Join(dir, KeywordsFile))
	if err != nil {
		return &Keywords{}
	}
	defer f.Close()
	return ParseKeywords(f)
}

package maildir

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// FolderMarker is the empty file that marks a Maildir++ subfolder.
const FolderMarker = "maildirfolder"

// Writer adds messages to one Maildir folder.
type Writer struct {
	dir string
}

// Create makes the folder rel below root ("" for the root Maildir, else a
// FolderDir result) with its cur, new and tmp directories, and returns a
// Writer for it. rel must be "" or a name FolderName accepts: a path is
// never built from anything else.
func Create(root, rel string) (*Writer, error) {
	if rel != "" {
		if _, err := FolderName(rel); err != nil {
			return nil, fmt.Errorf("create folder: %w", err)
		}
	}
	dir := filepath.Join(root, rel)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("create folder %q: %w", dir, err)
		}
	}
	if rel != "" {
		if err := writeFile(filepath.Join(dir, FolderMarker), nil); err != nil {
			return nil, fmt.Errorf("create folder %q: %w", dir, err)
		}
	}
	return &Writer{dir: dir}, nil
}

// Dir returns the folder's directory.
func (w *Writer) Dir() string { return w.dir }

// Deliver copies body into a new file in tmp/, sets its modification time
// to date, fsyncs it and renames it to cur/UNIQUE+info (info as Info
// returns it). It returns the file's name in cur/.
func (w *Writer) Deliver(body io.Reader, info string, date time.Time) (string, error) {
	if strings.ContainsAny(info, "/\x00") {
		return "", fmt.Errorf("deliver: bad info %q", info)
	}
	unique, err := uniqueName(date)
	if err != nil {
		return "", fmt.Errorf("deliver: %w", err)
	}
	tmp := filepath.Join(w.dir, "tmp", unique)
	name := unique + info
	if err := writeTmp(tmp, body, date); err != nil {
		return "", fmt.Errorf("deliver to %q: %w", w.dir, errors.Join(err, removeMissing(tmp)))
	}
	if err := os.Rename(tmp, filepath.Join(w.dir, "cur", name)); err != nil {
		return "", fmt.Errorf("deliver to %q: %w", w.dir, errors.Join(err, removeMissing(tmp)))
	}
	return name, nil
}

// Sync fsyncs the folder's cur directory, making the renames of Deliver
// durable.
func (w *Writer) Sync() error {
	return syncDir(filepath.Join(w.dir, "cur"))
}

// WriteKeywords writes the folder's keywords file (tmp, fsync, rename),
// or nothing if kw is empty.
func (w *Writer) WriteKeywords(kw *Keywords) error {
	if kw.Empty() {
		return nil
	}
	var b strings.Builder
	kw.WriteTo(&b)
	if err := writeFile(filepath.Join(w.dir, KeywordsFile), []byte(b.String())); err != nil {
		return fmt.Errorf("write keywords of %q: %w", w.dir, err)
	}
	return nil
}

func writeTmp(path string, body io.Reader, date time.Time) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, body)
	if err == nil && !date.IsZero() {
		err = os.Chtimes(path, date, date)
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// writeFile writes data to path through a temporary file beside it,
// fsynced before the rename.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return errors.Join(err, removeMissing(tmp))
	}
	return os.Rename(tmp, path)
}

// WriteRootFile writes a file such as the subscriptions list into root,
// fsynced before it is renamed into place.
func WriteRootFile(root, name string, data []byte) error {
	if name == "" || strings.ContainsAny(name, "/\x00") || name[0] == '.' {
		return fmt.Errorf("write %q: bad file name", name)
	}
	if err := writeFile(filepath.Join(root, name), data); err != nil {
		return fmt.Errorf("write %q: %w", name, err)
	}
	return syncDir(root)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

func removeMissing(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

var (
	deliveries atomic.Uint64
	hostname   = sanitizedHostname()
)

// uniqueName returns seconds.MmicrosecondsPpidQcounterRrandom.host: the
// time of the message, this process, a counter and 8 random bytes, so
// that two writers never pick the same name.
func uniqueName(date time.Time) (string, error) {
	if date.IsZero() {
		date = time.Now()
	}
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.M%06dP%dQ%dR%s.%s", date.Unix(), date.Nanosecond()/1000, os.Getpid(),
		deliveries.Add(1), hex.EncodeToString(r[:]), hostname), nil
}

// sanitizedHostname writes "/" and ":" in the host name as \057 and \072,
// as the Maildir specification says, and "localhost" for an unknown one.
func sanitizedHostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	h = strings.ReplaceAll(h, "/", `\057`)
	return strings.ReplaceAll(h, ":", `\072`)
}

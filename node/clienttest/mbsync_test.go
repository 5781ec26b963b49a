package clienttest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/node/nodetest"
)

// mbsyncRig is one node and a local Maildir that mbsync keeps in sync
// with it.
type mbsyncRig struct {
	t       *testing.T
	node    *testNode
	mbsync  string
	config  string
	maildir string
}

func newMbsyncRig(t *testing.T) *mbsyncRig {
	mbsync := needTool(t, "mbsync", "isync")
	n := start(t, "alice", nodetest.Options{})
	dir := t.TempDir()
	host, port := hostPort(t, n.IMAPAddr)
	r := &mbsyncRig{t: t, node: n, mbsync: mbsync, config: filepath.Join(dir, "mbsyncrc"), maildir: filepath.Join(dir, "mail")}
	rc := fmt.Sprintf(`IMAPAccount yggpost
Host %s
Port %d
User %s
Pass "%s"
SSLType None
AuthMechs LOGIN

IMAPStore yggpost-far
Account yggpost

MaildirStore yggpost-near
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel yggpost
Far :yggpost-far:
Near :yggpost-near:
Patterns *
Create Both
Expunge Both
SyncState *
`, host, port, n.addr, nodetest.Password, r.maildir, r.maildir)
	if err := os.Mkdir(r.maildir, 0o700); err != nil {
		t.Fatalf("create Maildir root: %v", err)
	}
	if err := os.WriteFile(r.config, []byte(rc), 0o600); err != nil {
		t.Fatalf("write mbsyncrc: %v", err)
	}
	return r
}

// plaintextWarning is the one warning mbsync gives on every login
// without TLS; Yggpost serves IMAP on loopback only, so it is expected.
const plaintextWarning = "*** IMAP Warning *** Password is being sent in the clear"

// sync runs mbsync on every mailbox and fails on an error or on any
// warning it prints, but the plaintext one.
func (r *mbsyncRig) sync() {
	r.t.Helper()
	res := run(r.t, 60*time.Second, "", r.mbsync, "-c", r.config, "-a")
	if res.err != nil {
		r.t.Fatalf("mbsync -a: %v\n%s", res.err, res.transcript())
	}
	for _, line := range strings.Split(res.stdout+res.stderr, "\n") {
		if line == plaintextWarning {
			continue
		}
		if l := strings.ToLower(line); strings.Contains(l, "warning") || strings.Contains(l, "error") {
			r.t.Errorf("mbsync complained: %s\n%s", line, res.transcript())
		}
	}
}

// local lists the Maildir files of a mailbox (cur and new).
func (r *mbsyncRig) local(mailbox string) []string {
	r.t.Helper()
	var files []string
	for _, sub := range []string{"cur", "new"} {
		matches, err := filepath.Glob(filepath.Join(r.maildir, mailbox, sub, "*"))
		if err != nil {
			r.t.Fatalf("list Maildir: %v", err)
		}
		files = append(files, matches...)
	}
	return files
}

// localWith returns the one local file of a mailbox containing text.
func (r *mbsyncRig) localWith(mailbox, text string) string {
	r.t.Helper()
	var hits []string
	for _, f := range r.local(mailbox) {
		b, err := os.ReadFile(f)
		if err != nil {
			r.t.Fatalf("read %s: %v", f, err)
		}
		if strings.Contains(string(b), text) {
			hits = append(hits, f)
		}
	}
	if len(hits) != 1 {
		r.t.Fatalf("%d local files in %s contain %q, want 1 (files: %v)", len(hits), mailbox, text, r.local(mailbox))
	}
	return hits[0]
}

// setLocalFlags moves a Maildir message to cur/ with the given flags
// (Maildir letters: D draft, F flagged, R replied, S seen, T trashed).
func (r *mbsyncRig) setLocalFlags(file, flags string) {
	r.t.Helper()
	base := filepath.Base(file)
	if i := strings.Index(base, ":2,"); i >= 0 {
		base = base[:i]
	}
	to := filepath.Join(filepath.Dir(filepath.Dir(file)), "cur", base+":2,"+flags)
	if err := os.Rename(file, to); err != nil {
		r.t.Fatalf("set Maildir flags: %v", err)
	}
}

// writeLocal puts a new message into a local Maildir mailbox, creating it.
func (r *mbsyncRig) writeLocal(mailbox, name, msg string) {
	r.t.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(r.maildir, mailbox, sub), 0o700); err != nil {
			r.t.Fatalf("create Maildir %s: %v", mailbox, err)
		}
	}
	if err := os.WriteFile(filepath.Join(r.maildir, mailbox, "new", name), []byte(msg), 0o600); err != nil {
		r.t.Fatalf("write local message: %v", err)
	}
}

// serverFlags returns the flags of the one server message in mailbox
// whose subject is subject, and the number of messages there.
func (r *mbsyncRig) serverFlags(mailbox, subject string) ([]imap.Flag, int) {
	r.t.Helper()
	msgs := r.node.envelopes(mailbox)
	var found []imap.Flag
	hits := 0
	for _, m := range msgs {
		if m.Envelope != nil && m.Envelope.Subject == subject {
			hits++
			found = m.Flags
		}
	}
	if hits != 1 {
		r.t.Fatalf("server %s holds %d messages with subject %q, want 1", mailbox, hits, subject)
	}
	return found, len(msgs)
}

func hasFlags(have []imap.Flag, want ...imap.Flag) bool {
	for _, f := range want {
		if !slices.Contains(have, f) {
			return false
		}
	}
	return true
}

// TestMbsync syncs a node's mailboxes with a local Maildir both ways:
// new mail and flags from the server, and flags, new messages, a new
// folder and deletions from the Maildir back to the server.
func TestMbsync(t *testing.T) {
	t.Parallel()
	r := newMbsyncRig(t)
	a := r.node.addr
	r.node.send(t, []string{a}, curlMessage(a, a, "first", "one"))
	r.node.send(t, []string{a}, curlMessage(a, a, "second", "two"))

	r.sync()
	if n := len(r.local("INBOX")); n != 2 {
		t.Fatalf("after the first sync the local INBOX holds %d messages, want 2", n)
	}

	// Local changes: flags on "first", a new message, a new folder
	// (mbsync CREATEs it on the server).
	r.setLocalFlags(r.localWith("INBOX", "Subject: first"), "FS")
	r.writeLocal("INBOX", "1.local.test", curlMessage(a, a, "written locally", "three"))
	r.writeLocal("Projects", "2.local.test", curlMessage(a, a, "filed locally", "four"))
	// Server changes: a flag on "second" and new mail.
	c := r.node.IMAP()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("SELECT INBOX: %v", err)
	}
	if err := c.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagAnswered}, Silent: true}, nil).Close(); err != nil {
		t.Fatalf("UID STORE 2 +FLAGS (\\Answered): %v", err)
	}
	r.node.send(t, []string{a}, curlMessage(a, a, "third from server", "five"))

	r.sync()
	if flags, _ := r.serverFlags("INBOX", "first"); !hasFlags(flags, imap.FlagSeen, imap.FlagFlagged) {
		t.Errorf("flags set in the Maildir did not reach the server: %v", flags)
	}
	if _, n := r.serverFlags("INBOX", "written locally"); n != 4 {
		t.Errorf("server INBOX holds %d messages after mbsync APPENDed one, want 4", n)
	}
	if _, n := r.serverFlags("Projects", "filed locally"); n != 1 {
		t.Errorf("server Projects (created by mbsync) holds %d messages, want 1", n)
	}
	if f := r.localWith("INBOX", "Subject: second"); !strings.Contains(filepath.Base(f), ":2,") || !strings.Contains(f[strings.LastIndex(f, ":2,"):], "R") {
		t.Errorf("\\Answered set on the server did not reach the Maildir: %s", filepath.Base(f))
	}
	r.localWith("INBOX", "Subject: third from server")

	// Delete locally; Expunge Both removes it on the server.
	r.setLocalFlags(r.localWith("INBOX", "Subject: second"), "RST")
	r.sync()
	if msgs := r.node.envelopes("INBOX"); len(msgs) != 3 {
		t.Errorf("server INBOX holds %d messages after mbsync expunged one, want 3", len(msgs))
	}
	if n := len(r.local("INBOX")); n != 3 {
		t.Errorf("local INBOX holds %d messages after expunge, want 3", n)
	}

	// A sync with nothing to do changes nothing and complains about nothing.
	r.sync()
	if n := len(r.local("INBOX")); n != 3 {
		t.Errorf("local INBOX holds %d messages after an idle sync, want 3", n)
	}
}

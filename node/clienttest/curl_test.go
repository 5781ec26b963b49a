package clienttest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/nodetest"
)

// curl runs curl against a node as its owner with a verbose transcript
// (on stderr) and fails the test if curl fails. A non-empty upload is
// sent from a file (curl's APPEND needs to know the size).
func (tn *testNode) curl(t *testing.T, upload string, args ...string) result {
	t.Helper()
	path := needTool(t, "curl", "curl")
	base := []string{"--silent", "--show-error", "--verbose", "--max-time", "20", "--user", tn.addr + ":" + nodetest.Password}
	if upload != "" {
		file := filepath.Join(t.TempDir(), "upload.eml")
		if err := os.WriteFile(file, []byte(upload), 0o600); err != nil {
			t.Fatalf("write upload: %v", err)
		}
		base = append(base, "--upload-file", file)
	}
	r := run(t, 30*time.Second, "", path, append(base, args...)...)
	if r.err != nil {
		t.Fatalf("curl %v: %v\n%s", args, r.err, r.transcript())
	}
	return r
}

func (tn *testNode) imapURL(path string) string { return "imap://" + tn.IMAPAddr + "/" + path }

// curlMessage is a small RFC 5322 message with CRLF line ends.
func curlMessage(from, to, subject, body string) string {
	return strings.ReplaceAll(fmt.Sprintf("From: <%s>\nTo: <%s>\nSubject: %s\nDate: %s\nMessage-ID: <%d.curl@test>\n\n%s\n",
		from, to, subject, time.Now().Format(time.RFC1123Z), time.Now().UnixNano(), body), "\n", "\r\n")
}

// inboxCount is the number of messages in the node's INBOX.
func (tn *testNode) inboxCount() int { return len(tn.envelopes("INBOX")) }

// TestCurl sends with curl over SMTP from one node to another and to
// oneself, then reads and writes the recipient's mailbox with curl over
// IMAP: LIST, APPEND, SEARCH, FETCH, STORE.
func TestCurl(t *testing.T) {
	t.Parallel()
	needTool(t, "curl", "curl")
	alice, bob := pair(t)

	msg := curlMessage(alice.addr, bob.addr, "hello from curl", "sent with curl smtp://")
	alice.curl(t, msg, "smtp://"+alice.SMTPAddr, "--mail-from", alice.addr,
		"--mail-rcpt", bob.addr, "--mail-rcpt", alice.addr)
	testkit.WaitFor(t, 30*time.Second, "bob's INBOX to hold curl's message", func() bool { return bob.inboxCount() == 1 })
	if n := alice.inboxCount(); n != 1 {
		t.Errorf("alice's INBOX holds %d messages after she sent one to herself, want 1", n)
	}

	list := bob.curl(t, "", bob.imapURL("")).stdout
	for _, want := range []string{"INBOX", "Sent"} {
		if !regexp.MustCompile(`(?m)^\* LIST \([^)]*\) "[^"]*" "?` + want + `"?\r?$`).MatchString(list) {
			t.Errorf("curl LIST has no %s:\n%s", want, list)
		}
	}

	appended := curlMessage(bob.addr, bob.addr, "a note appended by curl", "kept in INBOX")
	bob.curl(t, appended, bob.imapURL("INBOX"))

	search := bob.curl(t, "", bob.imapURL(`INBOX?SUBJECT%20"appended"`)).stdout
	if got := strings.TrimSpace(search); got != "* SEARCH 2" {
		t.Errorf("curl SEARCH SUBJECT appended answered %q, want \"* SEARCH 2\"", got)
	}
	search = bob.curl(t, "", bob.imapURL(`INBOX?BODY%20"smtp://"`)).stdout
	if got := strings.TrimSpace(search); got != "* SEARCH 1" {
		t.Errorf("curl SEARCH BODY smtp:// answered %q, want \"* SEARCH 1\"", got)
	}

	first := bob.curl(t, "", bob.imapURL("INBOX;UID=1")).stdout
	if !strings.Contains(first, "Subject: hello from curl") || !strings.Contains(first, "sent with curl smtp://") {
		t.Errorf("curl FETCH UID 1 returned:\n%s", first)
	}
	second := bob.curl(t, "", bob.imapURL("INBOX;UID=2")).stdout
	if second != appended {
		t.Errorf("curl FETCH UID 2 returned %q, want the appended message byte for byte %q", second, appended)
	}
	text := bob.curl(t, "", bob.imapURL("INBOX;UID=1;SECTION=TEXT")).stdout
	if strings.TrimSpace(text) != "sent with curl smtp://" {
		t.Errorf("curl FETCH UID 1 BODY[TEXT] returned %q", text)
	}

	bob.curl(t, "", bob.imapURL("INBOX"), "--request", `UID STORE 2 +FLAGS (\Flagged)`)
	flagged := bob.curl(t, "", bob.imapURL("INBOX?FLAGGED")).stdout
	if got := strings.TrimSpace(flagged); got != "* SEARCH 2" {
		t.Errorf("after curl UID STORE +FLAGS (\\Flagged), SEARCH FLAGGED answered %q, want \"* SEARCH 2\"", got)
	}
}

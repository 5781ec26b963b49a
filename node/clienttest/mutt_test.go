package clienttest_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/nodetest"
)

// muttrc writes testdata/muttrc, the settings docs/clients.md gives,
// filled in for the node.
func (tn *testNode) muttrc(t *testing.T) string {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "muttrc"))
	if err != nil {
		t.Fatalf("read muttrc template: %v", err)
	}
	_, imapPort := hostPort(t, tn.IMAPAddr)
	_, smtpPort := hostPort(t, tn.SMTPAddr)
	rc := strings.NewReplacer("ADDRESS_URL", strings.Replace(tn.addr, "@", "%40", 1), "ADDRESS", tn.addr,
		"PASSWORD", nodetest.Password, "IMAP_PORT", strconv.Itoa(imapPort), "SMTP_PORT", strconv.Itoa(smtpPort)).Replace(string(tmpl))
	path := filepath.Join(t.TempDir(), "muttrc")
	if err := os.WriteFile(path, []byte(rc), 0o600); err != nil {
		t.Fatalf("write muttrc: %v", err)
	}
	return path
}

// TestMutt sends with mutt in batch mode using the documented settings:
// SMTP submission to another node, and mutt's own copy APPENDed to Sent
// over IMAP, which must not duplicate the copy the node keeps.
func TestMutt(t *testing.T) {
	t.Parallel()
	mutt := needTool(t, "mutt", "mutt")
	alice, bob := pair(t)
	rc := alice.muttrc(t)
	r := run(t, 60*time.Second, "sent with mutt\n", mutt, "-n", "-F", rc, "-s", "hello from mutt", "--", bob.addr)
	if r.err != nil {
		t.Fatalf("mutt: %v\n%s", r.err, r.transcript())
	}
	testkit.WaitFor(t, 30*time.Second, "bob's INBOX to hold mutt's message", func() bool { return bob.inboxCount() == 1 })
	got := bob.envelopes("INBOX")[0].Envelope
	if got.Subject != "hello from mutt" || len(got.From) != 1 || got.From[0].Addr() != alice.addr {
		t.Errorf("bob received subject %q from %v", got.Subject, got.From)
	}
	sent := alice.envelopes("Sent")
	if len(sent) != 1 {
		t.Errorf("alice's Sent holds %d messages after mutt sent one and APPENDed its copy, want 1", len(sent))
	}
}

//go:build unix

package clienttest_test

import (
	"testing"
	"time"

	acct "github.com/yggpost/yggpost/node/account"
	"github.com/yggpost/yggpost/node/nodetest"
)

// dcloginConfig is what testdata/dclogin.mjs reads.
type dcloginConfig struct {
	Modules string `json:"modules"`
	DataDir string `json:"dataDir"`
	Link    string `json:"link"`
}

// dcloginPassword holds the characters a link must escape, so the test
// shows Delta Chat decodes what account.Settings.DCLogin encodes.
const dcloginPassword = "p&ss=w%rd +1 ü"

// TestDeltaChatReadsDCLogin hands the link of account.Settings.DCLogin to
// Delta Chat's own QR reader, which must see a login for the node's
// address, then has Delta Chat set the account up from the link alone:
// that logs in to the node's IMAP and SMTP servers with the password the
// link carries, and the servers Delta Chat then keeps are the node's.
func TestDeltaChatReadsDCLogin(t *testing.T) {
	modules := needDeltaChat(t)
	alice := start(t, "alice", nodetest.Options{Listen: true})
	if err := alice.Node.Node.SetPassword(dcloginPassword); err != nil {
		t.Fatal(err)
	}
	settings := nodeSettings(t, alice, dcloginPassword)
	link, err := settings.DCLogin()
	if err != nil {
		t.Fatal(err)
	}
	lines := runScript(t, "dclogin.mjs", dcloginConfig{Modules: modules, DataDir: t.TempDir(), Link: link}, time.Minute)
	if !succeeded(lines) {
		t.Fatalf("script did not report success; last lines: %s", tail(lines, 5))
	}
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l.Type+" "+l.Kind] = true
		switch {
		case l.Type == "qr" && (l.QR == nil || l.QR.Kind != "login" || l.QR.Address != alice.addr):
			t.Errorf("Delta Chat read the link as %+v, want a login for %s", l.QR, alice.addr)
		case l.Type == "transports":
			checkTransports(t, l.Transports, settings)
		case l.Type == "event" && l.Kind == "Error":
			t.Errorf("Delta Chat reported an error: %s", l.Msg)
		}
	}
	for _, want := range []string{"qr ", "transports ", "event ImapConnected", "event SmtpConnected"} {
		if !seen[want] {
			t.Errorf("the script printed no %q line: Delta Chat did not read the link or log in", want)
		}
	}
}

// nodeSettings are the account settings of a node of the harness.
func nodeSettings(t *testing.T, n *testNode, password string) acct.Settings {
	imapHost, imapPort := hostPort(t, n.IMAPAddr)
	smtpHost, smtpPort := hostPort(t, n.SMTPAddr)
	return acct.Settings{Address: n.Addr, Password: password,
		IMAP: acct.Server{Host: imapHost, Port: uint16(imapPort), Security: acct.Plain},
		SMTP: acct.Server{Host: smtpHost, Port: uint16(smtpPort), Security: acct.Plain}}
}

// checkTransports asserts that Delta Chat keeps exactly the servers of s.
func checkTransports(t *testing.T, got []dcTransport, s acct.Settings) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("Delta Chat has %d transports after setting up from the link, want 1: %+v", len(got), got)
	}
	tr := got[0]
	if tr.Addr != s.Address.String() || tr.Password != s.Password ||
		tr.IMAPServer != s.IMAP.Host || tr.IMAPPort != int(s.IMAP.Port) || tr.IMAPSecurity != "plain" ||
		tr.SMTPServer != s.SMTP.Host || tr.SMTPPort != int(s.SMTP.Port) || tr.SMTPSecurity != "plain" {
		t.Errorf("Delta Chat keeps %+v, want the node's servers %+v with security plain and the link's password", tr, s)
	}
}

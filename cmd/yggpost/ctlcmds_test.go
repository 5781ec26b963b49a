package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/smtp"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node"
)

// startNode runs a node from the command line until the test ends and
// returns its database and SMTP address.
func startNode(t *testing.T, args ...string) (db, smtpAddr string) {
	t.Helper()
	db = t.TempDir() + "/node.db"
	if code, _, errs := runCmd(t, "pw\n", "-database", db, "-password"); code != exitOK {
		t.Fatalf("-password: %s", errs)
	}
	var errs testkit.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, append([]string{"-database", db, "-smtp", "127.0.0.1:0", "-imap", "127.0.0.1:0"}, args...),
			strings.NewReader(""), &testkit.Buffer{}, &errs)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("node exit %d: %s", code, errs.String())
		}
	})
	testkit.WaitFor(t, 10*time.Second, "the node running in "+errs.String(), func() bool {
		return strings.Contains(errs.String(), `msg="node running"`)
	})
	line := lineWith(errs.String(), `msg="node running"`)
	_, rest, _ := strings.Cut(line, " smtp=")
	smtpAddr, _, _ = strings.Cut(rest, " ")
	return db, smtpAddr
}

// The control commands against a running node: status and queue, as text
// and as JSON; retry of a queued recipient and of one with nothing queued;
// reload; relay members on a node that is no relay.
func TestControlCommands(t *testing.T) {
	db, smtpAddr := startNode(t, "-listen", "tcp://127.0.0.1:0")
	addr := strings.TrimSpace(addressOf(t, db))
	code, out, errs := runCmd(t, "", "-database", db, "status")
	if code != exitOK || !strings.Contains(out, addr) || !strings.Contains(out, "queue") {
		t.Fatalf("status: exit %d, %q, %q", code, out, errs)
	}
	_, out, _ = runCmd(t, "", "-database", db, "queue")
	if !strings.Contains(out, "the queue is empty") {
		t.Errorf("queue of a new node: %q", out)
	}

	// A message to a node nobody runs stays queued.
	nobody := newAddress(t)
	msg := "From: <" + addr + ">\r\nTo: <" + nobody + ">\r\nSubject: stays queued\r\nMessage-ID: <q1@test>\r\n\r\nhi\r\n"
	submit(t, smtpAddr, addr, nobody, msg)
	_, out, _ = runCmd(t, "", "-database", db, "queue", "-json")
	var q []node.QueueEntry
	if err := json.Unmarshal([]byte(out), &q); err != nil || len(q) != 1 || q[0].Recipient != nobody || q[0].MessageID != "<q1@test>" {
		t.Fatalf("queue -json: %v %+v (%q)", err, q, out)
	}
	_, out, _ = runCmd(t, "", "-database", db, "queue")
	if !strings.Contains(out, nobody[:8]+"…") || !strings.Contains(out, "waiting") {
		t.Errorf("queue: %q", out)
	}
	_, out, _ = runCmd(t, "", "-database", db, "status", "-json")
	var st node.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Queued != 1 || st.Address != addr || st.Started.IsZero() {
		t.Errorf("status -json: %v %+v", err, st)
	}
	if code, out, errs := runCmd(t, "", "-database", db, "retry", nobody); code != exitOK || !strings.Contains(out, "retrying") {
		t.Errorf("retry: exit %d, %q, %q", code, out, errs)
	}
	other := newAddress(t)
	if code, _, errs := runCmd(t, "", "-database", db, "retry", other); code != exitStore || !strings.Contains(errs, "nothing is queued") {
		t.Errorf("retry with nothing queued: exit %d, %q", code, errs)
	}
	if code, _, errs := runCmd(t, "", "-database", db, "retry", "not-an-address"); code != exitStore || !strings.Contains(errs, "not-an-address") {
		t.Errorf("retry of a bad address: exit %d, %q", code, errs)
	}
	// Export works on the running node's store, with a relative path
	// taken from where the command runs.
	t.Chdir(t.TempDir())
	if code, out, errs := runCmd(t, "", "-database", db, "-export", "export"); code != exitOK || !strings.Contains(out, "exported 1 messages") {
		t.Errorf("-export on a running node: exit %d, %q, %q", code, out, errs)
	}
	if entries, err := os.ReadDir("export/.Sent/cur"); err != nil || len(entries) != 1 {
		t.Errorf("the Sent copy is not in ./export/.Sent/cur: %v %v", entries, err)
	}
	if code, out, errs := runCmd(t, "", "-database", db, "reload"); code != exitOK || !strings.Contains(out, "read again") {
		t.Errorf("reload: exit %d, %q, %q", code, out, errs)
	}
	if code, _, errs := runCmd(t, "", "-database", db, "relay", "members"); code != exitStore || !strings.Contains(errs, "not running as a relay") {
		t.Errorf("relay members on a node: exit %d, %q", code, errs)
	}
	if code, _, errs := runCmd(t, "", "-database", db, "status", "extra"); code != exitUsage || !strings.Contains(errs, "usage") {
		t.Errorf("status extra: exit %d, %q", code, errs)
	}
}

// Without a running node the control commands say so.
func TestControlCommandsWithoutNode(t *testing.T) {
	db := t.TempDir() + "/idle.db"
	if code, _, errs := runCmd(t, "", "-database", db, "status"); code != exitStore || !strings.Contains(errs, "no node is running") {
		t.Errorf("status without a node: exit %d, %q", code, errs)
	}
}

// submit sends msg over plain SMTP on loopback (no STARTTLS: the node's
// certificate is self-signed).
func submit(t *testing.T, smtpAddr, from, to, msg string) {
	t.Helper()
	c, err := smtp.Dial(smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	steps := []func() error{
		func() error { return c.Auth(smtp.PlainAuth("", from, "pw", "127.0.0.1")) },
		func() error { return c.Mail(from) },
		func() error { return c.Rcpt(to) },
		func() error {
			w, err := c.Data()
			if err != nil {
				return err
			}
			if _, err := w.Write([]byte(msg)); err != nil {
				return err
			}
			return w.Close()
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("submit: %v", err)
		}
	}
}

// newAddress returns the address of a new key no node runs.
func newAddress(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := envelope.AddressFromKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return a.String()
}

// -dclogin and -setup on a running node check the password through its
// control socket; -setup refuses a host its certificate does not name.
func TestAccountCommandsOnRunningNode(t *testing.T) {
	db, _ := startNode(t, "-listen", "tcp://127.0.0.1:0", "-tls-host", "mail.example.org")
	addr := strings.TrimSpace(addressOf(t, db))
	code, out, errs := runCmd(t, "pw\n", "-database", db, "-dclogin", "-imap", "127.0.0.1:2143", "-smtp", "127.0.0.1:2025")
	if code != exitOK || !strings.Contains(dcloginLine(t, out), addr) {
		t.Fatalf("-dclogin on a running node: exit %d, %q", code, errs)
	}
	if code, _, errs := runCmd(t, "wrong\n", "-database", db, "-dclogin", "-imap", "127.0.0.1:2143", "-smtp", "127.0.0.1:2025"); code != exitUsage || !strings.Contains(errs, "wrong password") {
		t.Errorf("-dclogin with a wrong password: exit %d, %q", code, errs)
	}
	if code, _, errs := runCmd(t, "pw\n", "-database", db, "-setup", "other.example.org", "-setup-dir", t.TempDir()); code != exitUsage || !strings.Contains(errs, "does not name other.example.org") {
		t.Errorf("-setup for a host the certificate lacks: exit %d, %q", code, errs)
	}
	if code, out, errs := runCmd(t, "pw\n", "-database", db, "-setup", "mail.example.org", "-setup-dir", t.TempDir()); code != exitOK || !strings.Contains(out, "mail.example.org") {
		t.Errorf("-setup on a running node: exit %d, %q, %q", code, out, errs)
	}
}

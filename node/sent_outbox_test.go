package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/smtpd"
)

// TestOutboxFullIsTemporary: with the outbox at its bound a submission is
// refused with 452 4.3.1 (try later), nothing of it is kept, and the
// message accepted before it is in Sent once. It runs the submitter behind
// a real SMTP server on a store whose outbox holds one envelope, and sends
// with swaks.
func TestOutboxFullIsTemporary(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks is not installed (apt-get install swaks; .ci/run installs it); skipping the SMTP client test")
	}
	n, address := submissionNode(t, mailbox.Options{MaxOutboxCount: 1})
	host, port, _ := net.SplitHostPort(address)
	friend := testAddress(t)
	send := func(subject string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, swaks, "--server", host, "--port", port,
			"--auth", "PLAIN", "--auth-user", n.local.String(), "--auth-password", "pw",
			"--from", n.local.String(), "--to", friend.String(), "--h-From", "<"+n.local.String()+">",
			"--header", "Subject: "+subject).CombinedOutput()
		return string(out), err
	}
	if out, err := send("first"); err != nil {
		t.Fatalf("first message: %v\n%s", err, out)
	}
	out, err := send("second")
	if err == nil || !strings.Contains(out, "<** 452 4.3.1") {
		t.Fatalf("second message with the outbox full: %v, want 452 4.3.1:\n%s", err, out)
	}
	if rows, err := n.store.Outbox(); err != nil || len(rows) != 1 {
		t.Errorf("outbox holds %d envelopes (%v), want 1", len(rows), err)
	}
	if st, err := n.store.Status(mailbox.Sent); err != nil || st.Messages != 1 || st.Unseen != 0 {
		t.Errorf("Sent: %+v (%v), want one message, seen", st, err)
	}
}

// submissionNode opens a store and serves the node's submitter through a
// real SMTP server on loopback, without the mesh; the password is "pw".
func submissionNode(t *testing.T, opts mailbox.Options) (*submitter, string) {
	t.Helper()
	store, err := mailbox.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	addr, err := envelope.AddressFromKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("address: %v", err)
	}
	n := &submitter{local: addr, key: key, store: store, maxSize: DefaultMaxMessageSize,
		deliver: func(mailbox.Outbound) {}, observer: quietObserver{}, log: slog.New(slog.DiscardHandler)}
	srv := smtpd.New(smtpd.Options{Local: addr, Submitter: n, Authenticate: func(user, pass string) error {
		if user != addr.String() || pass != "pw" {
			return errors.New("bad credentials")
		}
		return nil
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close SMTP server: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return n, ln.Addr().String()
}

// testAddress returns the address of a fresh key.
func testAddress(t *testing.T) envelope.Address {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	a, err := envelope.AddressFromKey(pub)
	if err != nil {
		t.Fatalf("address: %v", err)
	}
	return a
}

// TestRetryAfterPartialFailure: a submission the outbox has room for only
// part of is refused whole with 452, and keeps no envelope and no copy; a
// client that submits it again once there is room gets every copy stored
// once, however often it repeats it.
func TestRetryAfterPartialFailure(t *testing.T) {
	n, address := submissionNode(t, mailbox.Options{MaxOutboxCount: 3})
	f1, f2, f3, other := testAddress(t), testAddress(t), testAddress(t), testAddress(t)
	submit := func(to []envelope.Address, subject string) error {
		msg := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n\r\nbody\r\n", n.local, f1, subject, subject)
		c, err := smtp.Dial(address)
		if err != nil {
			return fmt.Errorf("dial: %w", err)
		}
		defer c.Close()
		if err := c.Auth(sasl.NewPlainClient("", n.local.String(), "pw")); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
		var rcpts []string
		for _, a := range to {
			rcpts = append(rcpts, a.String())
		}
		return c.SendMail(n.local.String(), rcpts, strings.NewReader(msg))
	}
	if err := submit([]envelope.Address{other}, "filler"); err != nil {
		t.Fatalf("filler: %v", err)
	}
	all := []envelope.Address{f1, n.local, f2, f3}
	var se *smtp.SMTPError
	if err := submit(all, "list"); !errors.As(err, &se) || se.Code != 452 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 1}) {
		t.Fatalf("with room for two of three envelopes: %v, want 452 4.3.1", err)
	}
	rows, err := n.store.Outbox()
	if err != nil || len(rows) != 1 {
		t.Fatalf("outbox holds %d envelopes (%v), want the filler only", len(rows), err)
	}
	for box, want := range map[string]uint32{mailbox.Inbox: 0, mailbox.Sent: 1} { // Sent: filler
		if st, err := n.store.Status(box); err != nil || st.Messages != want {
			t.Errorf("after the refusal, %s: %+v (%v), want %d messages", box, st, err, want)
		}
	}
	for _, r := range rows {
		if r.Recipient == other {
			if err := n.store.DeleteOutbound(r.ID); err != nil { // delivered
				t.Fatalf("delete filler: %v", err)
			}
		}
	}
	for i := range 2 {
		if err := submit(all, "list"); err != nil {
			t.Fatalf("submission %d after making room: %v", i+2, err)
		}
	}
	rows, err = n.store.Outbox()
	if err != nil || len(rows) != 3 {
		t.Fatalf("outbox holds %d envelopes (%v), want one each for f1, f2, f3", len(rows), err)
	}
	seen := map[envelope.Address]bool{}
	for _, r := range rows {
		seen[r.Recipient] = true
	}
	if !seen[f1] || !seen[f2] || !seen[f3] {
		t.Errorf("outbox recipients %v, want f1, f2 and f3 once each", seen)
	}
	for box, want := range map[string]uint32{mailbox.Inbox: 1, mailbox.Sent: 2} { // Sent: filler and list
		if st, err := n.store.Status(box); err != nil || st.Messages != want {
			t.Errorf("%s: %+v (%v), want %d messages", box, st, err, want)
		}
	}
}

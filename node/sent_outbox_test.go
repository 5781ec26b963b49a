package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

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
			"--auth", "PLAIN", "--auth-user", n.addr.String(), "--auth-password", "pw",
			"--from", n.addr.String(), "--to", friend.String(), "--h-From", "<"+n.addr.String()+">",
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
func submissionNode(t *testing.T, opts mailbox.Options) (*Node, string) {
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
	n := &Node{cfg: Config{}.withDefaults(), log: slog.New(slog.DiscardHandler), store: store, key: key, addr: addr}
	srv := smtpd.New(smtpd.Options{Local: addr, Submitter: submitter{n}, Authenticate: func(user, pass string) error {
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

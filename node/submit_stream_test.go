package node_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/nodetest"
)

// largeMessage is a message from alice to the recipients in its To field,
// with extra header lines, of about size bytes.
func largeMessage(from envelope.Address, to []envelope.Address, extra string, size int) []byte {
	var names []string
	for _, a := range to {
		names = append(names, "<"+a.String()+">")
	}
	head := fmt.Sprintf("From: <%s>\r\nTo: %s\r\n%sSubject: large\r\nMessage-ID: <%d.large@test>\r\n\r\n",
		from, strings.Join(names, ", "), extra, size)
	line := strings.Repeat("0123456789", 7) + "\r\n"
	return append([]byte(head), strings.Repeat(line, (size-len(head))/len(line))...)
}

// TestLargeSubmissionGoesStraightIntoTheStore: a message larger than a
// submission kept in memory, whose copies all share one body, is written
// into the store as it arrives, with no temporary file (the temporary
// directory is gone); every copy reads back whole and they share one body.
// The same message again stores nothing twice; one over the size limit,
// and one whose client goes away half-way, leave nothing behind. A message
// whose Sent copy needs a body of its own (Bcc) still uses a temporary
// file.
func TestLargeSubmissionGoesStraightIntoTheStore(t *testing.T) {
	const limit = 2 << 20
	alice := nodetest.Start(t, "alice", nodetest.Options{Limit: limit})
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "gone"))
	bob := fakeAddr("bob")
	store := alice.Node.Store()
	bodies := func() int {
		t.Helper()
		n, err := store.CountBodies()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	msg := largeMessage(alice.Addr, []envelope.Address{bob, alice.Addr}, "", limit-100<<10)
	for range 2 {
		if err := alice.Send([]envelope.Address{bob, alice.Addr}, msg); err != nil {
			t.Fatalf("a message of %d bytes was refused: %v", len(msg), err)
		}
	}
	rows, err := store.Outbox()
	if err != nil || len(rows) != 1 {
		t.Fatalf("outbox holds %d rows (%v), want 1 for Bob", len(rows), err)
	}
	r, err := store.OpenOutbound(rows[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	queued, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(queued, msg) {
		t.Errorf("Bob's queued copy: %d bytes (%v), want the %d submitted", len(queued), err, len(msg))
	}
	for _, box := range []string{"INBOX", "Sent"} {
		if got := waitMailbox(alice, box, 1, 0)[0].body; !bytes.Equal(got, msg) {
			t.Errorf("%s copy: %d bytes, want the %d submitted", box, len(got), len(msg))
		}
	}
	if n := bodies(); n != 1 {
		t.Errorf("%d bodies stored, want one shared by the row, INBOX and Sent", n)
	}

	over := largeMessage(alice.Addr, []envelope.Address{bob}, "", limit+100<<10)
	var se *smtp.SMTPError
	if err := alice.Send([]envelope.Address{bob}, over); !errors.As(err, &se) || se.Code != 552 {
		t.Errorf("a message of %d bytes over a limit of %d: %v, want 552", len(over), limit, err)
	}
	abandonSubmission(t, alice, bob, largeMessage(alice.Addr, []envelope.Address{bob}, "", 1<<20))
	ended := testkit.Poll(10*time.Second, func() bool {
		st, err := alice.Node.Status()
		return err == nil && st.SMTPSessions == 0
	})
	if !ended {
		t.Fatal("the abandoned SMTP session did not end")
	}
	if n := bodies(); n != 1 {
		t.Errorf("%d bodies stored after a refused and an abandoned submission, want 1", n)
	}
	if rows, err := store.Outbox(); err != nil || len(rows) != 1 {
		t.Errorf("outbox holds %d rows (%v) after a refused and an abandoned submission, want 1", len(rows), err)
	}
	if st, err := store.Status("Sent"); err != nil || st.Messages != 1 {
		t.Errorf("Sent holds %d messages (%v) after a refused and an abandoned submission, want 1", st.Messages, err)
	}

	withBcc := largeMessage(alice.Addr, []envelope.Address{bob}, "Bcc: <"+alice.Addr.String()+">\r\n", 1<<20)
	if err := alice.Send([]envelope.Address{bob}, withBcc); err == nil {
		t.Error("a message with Bcc was taken although no temporary file can be made for its Sent copy")
	}
}

// abandonSubmission sends the first half of msg from tn to rcpt over a
// raw SMTP session and then closes the connection.
func abandonSubmission(t *testing.T, tn *nodetest.Node, rcpt envelope.Address, msg []byte) {
	t.Helper()
	c, err := smtp.Dial(tn.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", tn.Addr.String(), nodetest.Password)); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(tn.Addr.String(), nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(rcpt.String(), nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(msg[:len(msg)/2]); err != nil {
		t.Fatal(err)
	}
	c.Close() // no end of data
}

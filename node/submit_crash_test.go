package node_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/textproto"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/nodetest"
)

// TestKillDuringLargeSubmissionLeavesNothing kills a node with SIGKILL
// while a large message streams into its store over SMTP. The client never
// got its 250, so nothing may be queued or kept: the store holds no row,
// no Sent copy and no body once it is opened again (the chunks written
// before the kill are swept), and the same message sent again after a
// restart is taken whole.
func TestKillDuringLargeSubmissionLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills node processes")
	}
	alice := newChild(t, "alice", "", "")
	alice.start()
	bob := fakeAddr("bob")
	msg := largeMessage(alice.addr, []envelope.Address{bob}, "", 32<<20)

	before := valueLogBytes(t, alice.dbDir())
	conn, w := startData(t, alice.smtp, alice.addr.String(), bob.String())
	defer conn.Close()
	go func() { // writes until the connection dies with the node
		w.Write(msg)
		w.Flush()
	}()
	// Kill once at least 8 MiB of the message are in the store's files,
	// two of its chunk transactions.
	if !testkit.Poll(30*time.Second, func() bool { return valueLogBytes(t, alice.dbDir())-before >= 8<<20 }) {
		t.Fatalf("the store's value log grew by %d bytes, want at least 8 MiB", valueLogBytes(t, alice.dbDir())-before)
	}
	alice.kill()

	s, err := mailbox.Open(alice.dbDir(), mailbox.Options{})
	if err != nil {
		t.Fatalf("open the store after the kill: %v", err)
	}
	rows, _ := s.Outbox()
	bodies, _ := s.CountBodies()
	sent, _ := s.Status(mailbox.Sent)
	s.Close()
	if len(rows) != 0 || bodies != 0 || sent.Messages != 0 {
		t.Fatalf("after the kill: %d rows, %d bodies, %d Sent copies; want none", len(rows), bodies, sent.Messages)
	}

	alice.start()
	if err := alice.client().Send([]envelope.Address{bob}, msg); err != nil {
		t.Fatalf("the message sent again after the restart: %v", err)
	}
	waitMailbox(alice.client(), "Sent", 1, 10*time.Second)
}

// valueLogBytes is the disk space the value logs of the store in dir take.
func valueLogBytes(t *testing.T, dir string) int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, f := range files {
		var st syscall.Stat_t
		if err := syscall.Stat(f, &st); err == nil {
			n += st.Blocks * 512
		}
	}
	return n
}

// startData logs in to the SMTP server at addr as user, starts a message
// from user to rcpt and returns the connection and a writer for the
// message text after DATA.
func startData(t *testing.T, addr, user, rcpt string) (net.Conn, *bufio.Writer) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := textproto.NewReader(bufio.NewReader(conn))
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + nodetest.Password))
	for _, step := range []struct {
		cmd  string
		code int
	}{{"", 220}, {"EHLO test", 250}, {"AUTH PLAIN " + auth, 235}, {"MAIL FROM:<" + user + ">", 250}, {"RCPT TO:<" + rcpt + ">", 250}, {"DATA", 354}} {
		if step.cmd != "" {
			fmt.Fprintf(conn, "%s\r\n", step.cmd)
		}
		if _, _, err := r.ReadResponse(step.code); err != nil {
			t.Fatalf("SMTP %q: %v", step.cmd, err)
		}
	}
	return conn, bufio.NewWriterSize(conn, 64<<10)
}

package node_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/nodetest"
)

// TestAppendCutShortStoresNothing: an IMAP client whose connection breaks
// in the middle of an APPEND literal, small or spanning several chunks of
// the store, leaves no message and no body behind; the same APPEND sent
// whole is stored.
func TestAppendCutShortStoresNothing(t *testing.T) {
	t.Parallel()
	tn := nodetest.Start(t, "alice", nodetest.Options{})
	store := tn.Node.Store()
	for _, size := range []int{10 << 10, 3 << 20} {
		msg := []byte(fmt.Sprintf("From: <%s>\r\nSubject: cut\r\n\r\n%s", tn.Addr, strings.Repeat("z", size)))
		appendRaw(t, tn, msg, len(msg)/2)
		ended := testkit.Poll(10*time.Second, func() bool {
			st, err := tn.Node.Status()
			return err == nil && st.IMAPSessions == 0
		})
		if !ended {
			t.Fatal("the broken IMAP session did not end")
		}
		if st, err := store.Status("INBOX"); err != nil || st.Messages != 0 {
			t.Fatalf("%d bytes cut at half: INBOX holds %d messages (%v), want none", len(msg), st.Messages, err)
		}
		if n, err := store.CountBodies(); err != nil || n != 0 {
			t.Fatalf("%d bytes cut at half: %d bodies stored (%v), want none", len(msg), n, err)
		}
	}
	msg := []byte(fmt.Sprintf("From: <%s>\r\nSubject: whole\r\n\r\nall of it\r\n", tn.Addr))
	appendRaw(t, tn, msg, len(msg))
	if got := tn.WaitInbox(1, 10*time.Second); !bytes.Equal(got[0], msg) {
		t.Errorf("the whole APPEND stored %q, want %q", got[0], msg)
	}
}

// appendRaw logs in to tn's IMAP server over a raw connection, APPENDs
// msg to INBOX as a literal but sends only its first send bytes, and
// closes the connection; sent whole, it waits for the tagged OK first.
func appendRaw(t *testing.T, tn *nodetest.Node, msg []byte, send int) {
	t.Helper()
	c, err := net.Dial("tcp", tn.IMAPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	line := func() string {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read from IMAP server: %v", err)
		}
		return l
	}
	line() // greeting
	fmt.Fprintf(c, "a LOGIN %q %q\r\n", tn.Addr.String(), nodetest.Password)
	for l := line(); !strings.HasPrefix(l, "a "); l = line() {
	}
	fmt.Fprintf(c, "b APPEND INBOX {%d}\r\n", len(msg))
	if l := line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("APPEND: %q, want a continuation", l)
	}
	if _, err := c.Write(msg[:send]); err != nil {
		t.Fatal(err)
	}
	if send < len(msg) {
		return
	}
	fmt.Fprintf(c, "\r\n")
	for l := line(); !strings.HasPrefix(l, "b "); l = line() {
		if strings.HasPrefix(l, "b ") && !strings.HasPrefix(l, "b OK") {
			t.Fatalf("APPEND: %q", l)
		}
	}
}

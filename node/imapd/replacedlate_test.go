package imapd

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
)

// The mailbox a session selected may be renamed or deleted, and one of its
// name created, while the session is in the middle of a command or between
// two: these tests replace it at those moments.

// bigFetchSize is the size of a message the server cannot have sent whole
// while the client reads nothing: well above the socket buffers between
// them (a send buffer grows to 4 MiB by default on Linux, and the client
// sets its receive buffer to 64 KiB).
const bigFetchSize = 16 << 20

// A FETCH of several messages reads each body as it gets to it. When the
// mailbox is replaced while the FETCH is under way, the messages after
// that moment are not read by name from the new mailbox of the name: the
// session is sent the BYE once the message it was sending is complete.
func TestFetchAcrossAReplacementSendsNoneOfTheNewOnesMessages(t *testing.T) {
	e := newEnv(t)
	if err := e.store.CreateMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	for i, size := range []int{bigFetchSize, 100, 100} {
		msg := testMessage(fmt.Sprintf("w%d", i+1), size)
		if _, _, err := e.store.Append("Work", bytes.NewReader(msg), mailbox.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := dialRaw(t, e.addr), dialRaw(t, e.addr)
	if err := a.c.(*net.TCPConn).SetReadBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	a.login()
	b.login()
	a.open("a1 SELECT Work")
	a.send("a2 FETCH 1:3 (BODY.PEEK[])")
	first := a.line() // the server is sending message 1 and blocks until it is read
	var size int
	if _, err := fmt.Sscanf(first, "* 1 FETCH (BODY[] {%d}", &size); err != nil || size < bigFetchSize {
		t.Fatalf("first line of FETCH %q, want the literal of message 1", first)
	}
	b.expect("b1 RENAME Work Old", "b1 OK RENAME completed")
	b.expect("b2 CREATE Work", "b2 OK CREATE completed")
	fillMailbox(t, e.store, "Work", "n")
	if _, err := readFull(a, make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	rest, closed := a.untilClosed("a2")
	if want := []string{")", "* BYE " + byeReplaced}; !closed || !equalLines(rest, want) {
		t.Errorf("FETCH after message 1: %q (closed: %v), want %q and the connection closed", rest, closed, want)
	}
}

func equalLines(got, want []string) bool {
	return strings.Join(got, "\n") == strings.Join(want, "\n")
}

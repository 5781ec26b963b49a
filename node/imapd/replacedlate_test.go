package imapd

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

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

// A read-write session claims the messages it is told of as \Recent, and
// the claim is saved for the mailbox it selected. Here that mailbox is
// renamed away and a new one created with its name behind the server's
// back, as when a rename lands while the session is being told of a new
// message: the claim does not raise the new mailbox's mark, whose messages
// stay recent for the first session to select it.
func TestRecentClaimAfterAReplacementLeavesTheNewMailboxAlone(t *testing.T) {
	e := newEnv(t)
	if err := e.store.CreateMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	fillMailbox(t, e.store, "Work", "w")
	a, witness := dialRaw(t, e.addr), dialRaw(t, e.addr)
	a.login()
	witness.login()
	a.open("a1 SELECT Work") // claims 1 to 3, recent in this session
	witness.open("w1 EXAMINE Work")
	if _, _, err := e.store.Append("Work", bytes.NewReader(testMessage("w4", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	witness.noopUntil("w", "* 4 EXISTS") // queued for a too
	if err := e.store.RenameMailbox("Work", "Old"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateMailbox("Work"); err != nil {
		t.Fatal(err)
	}
	fillMailbox(t, e.store, "Work", "n")
	a.expect("a2 NOOP", "* 4 EXISTS", "* 4 RECENT", "a2 OK NOOP completed")
	if st, err := e.store.Status("Work"); err != nil || st.RecentUID != 0 || st.Recent != 3 {
		t.Errorf("new Work after the claim: %+v, %v; want its 3 messages recent", st, err)
	}
}

// An APPEND to the selected mailbox waits, before its tagged OK, until the
// session's view has the new message. An APPEND to the name of a selected
// mailbox that was replaced lands in the new mailbox, which the view does
// not follow: it is answered at once, not after the hub gave up waiting
// for its feed (settleTimeout).
func TestAppendToTheNameOfAReplacedMailboxAnswersAtOnce(t *testing.T) {
	for _, r := range replacements[:2] { // after a pure rename, the APPEND finds no mailbox
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			a := replacedSetup(t, e, r.commands)
			msg := testMessage("n4", 10)
			start := time.Now()
			a.sendRaw(fmt.Sprintf("a2 APPEND Work {%d+}\r\n%s\r\n", len(msg), msg))
			got := a.until("a2 ")
			took := time.Since(start)
			t.Logf("APPEND after %s answered in %v", r.name, took)
			if want := fmt.Sprintf("a2 OK [APPENDUID %d 4] APPEND completed", uidValidity(t, e.store, "Work")); got[len(got)-1] != want {
				t.Errorf("APPEND: %q, want it to end with %q", got, want)
			}
			if took >= settleTimeout/2 {
				t.Errorf("APPEND took %v, want well under the %v the hub waits for its feed", took, settleTimeout)
			}
		})
	}
}

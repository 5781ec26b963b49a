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

// idleIn starts IDLE in the selected state and waits for its continuation.
func (r *rawConn) idleIn(tag string) {
	r.t.Helper()
	r.send(tag + " IDLE")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		r.t.Fatalf("IDLE continuation %q", l)
	}
}

// byeOnly checks that the lines that followed a command (or IDLE) are the
// BYE of a replaced mailbox alone, and that the connection was closed.
func byeOnly(t *testing.T, what string, lines []string, closed bool) {
	t.Helper()
	if want := []string{"* BYE " + byeReplaced}; !closed || !equalLines(lines, want) {
		t.Errorf("%s: %q (closed: %v), want %q and the connection closed", what, lines, closed, want)
	}
}

// noWarnings stops the server, so that every session has ended, and
// checks that it logged no warning: a BYE is not a failure.
func noWarnings(t *testing.T, e *testEnv) {
	t.Helper()
	e.stop()
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			t.Errorf("logged %s", l)
		}
	}
}

// A session in IDLE whose selected mailbox another session renames or
// deletes is sent the BYE at once, and nothing before it: neither an
// EXPUNGE for each of its messages when it was deleted, nor later the
// changes of the renamed mailbox, which it no longer knows by name. A
// session in IDLE on another mailbox goes on.
func TestIdleHearsByeWhenSelectedMailboxReplaced(t *testing.T) {
	for _, r := range replacements {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			if err := e.store.CreateMailbox("Work"); err != nil {
				t.Fatal(err)
			}
			fillMailbox(t, e.store, "Work", "w")
			a, b, c := dialRaw(t, e.addr), dialRaw(t, e.addr), dialRaw(t, e.addr)
			a.login()
			b.login()
			c.login()
			a.open("a1 SELECT Work")
			a.idleIn("a2")
			c.open("c1 SELECT INBOX")
			c.idleIn("c2")
			for i, cmd := range r.commands {
				tag := fmt.Sprintf("b%d", i+1)
				b.expect(tag+" "+cmd, tag+" OK "+strings.Fields(cmd)[0]+" completed")
			}
			got, closed := a.untilClosed("a2")
			byeOnly(t, "IDLE after "+r.name, got, closed)
			if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("i1", 10)), mailbox.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
			c.expectLines("IDLE on INBOX", "* 1 EXISTS", "* 1 RECENT")
			c.send("DONE")
			c.until("c2 OK")
			noWarnings(t, e)
		})
	}
}

// The server also learns of a rename or deletion it did not make itself:
// from the change feed, whose changes come under the mailbox's new name
// and which ends when the mailbox is deleted, and from a session that
// selects a new mailbox of the name. A session in IDLE is sent the BYE
// then, instead of the change or an EXPUNGE for each message.
func TestIdleHearsByeWhenTheStoreReplacesTheMailbox(t *testing.T) {
	for _, c := range []struct {
		name    string
		replace func(t *testing.T, e *testEnv)
	}{
		{"renamed, then a change under the new name", func(t *testing.T, e *testEnv) {
			if err := e.store.RenameMailbox("Work", "Old"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.store.Append("Old", bytes.NewReader(testMessage("w4", 10)), mailbox.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted", func(t *testing.T, e *testEnv) {
			if err := e.store.DeleteMailbox("Work"); err != nil {
				t.Fatal(err)
			}
		}},
		{"renamed and created, then the new one selected", func(t *testing.T, e *testEnv) {
			if err := e.store.RenameMailbox("Work", "Old"); err != nil {
				t.Fatal(err)
			}
			if err := e.store.CreateMailbox("Work"); err != nil {
				t.Fatal(err)
			}
			b := dialRaw(t, e.addr)
			b.login()
			b.open("b1 SELECT Work")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if err := e.store.CreateMailbox("Work"); err != nil {
				t.Fatal(err)
			}
			fillMailbox(t, e.store, "Work", "w")
			a := dialRaw(t, e.addr)
			a.login()
			a.open("a1 SELECT Work")
			a.idleIn("a2")
			c.replace(t, e)
			got, closed := a.untilClosed("a2")
			byeOnly(t, "IDLE after the store "+c.name, got, closed)
		})
	}
}

// NOOP, the command a client polls with, ends a session whose selected
// mailbox was renamed or deleted, with the BYE and nothing before it.
func TestNoopHearsByeWhenSelectedMailboxReplaced(t *testing.T) {
	for _, r := range replacements {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			a := replacedSetup(t, e, r.commands)
			a.send("a2 NOOP")
			got, closed := a.untilClosed("a2")
			byeOnly(t, "NOOP after "+r.name, got, closed)
			noWarnings(t, e)
		})
	}
}

// A session that writes to the store after another session renamed its
// selected mailbox gets the tagged response of that command, so it knows
// the change was made; the BYE comes with its next command.
func TestCommandThatWroteIsAnsweredBeforeTheBye(t *testing.T) {
	for _, cmd := range []string{
		"CREATE Work/Sub", "SUBSCRIBE Elsewhere", "RENAME Junk Spam", "DELETE Archive", "APPEND INBOX {2+}\r\nhi",
	} {
		t.Run(strings.Fields(cmd)[0], func(t *testing.T) {
			e := newEnv(t)
			a := replacedSetup(t, e, []string{"RENAME Work Old"})
			a.expect("a2 "+cmd, "~a2 OK .*"+strings.Fields(cmd)[0]+" completed")
			a.send("a3 NOOP")
			got, closed := a.untilClosed("a3")
			byeOnly(t, "NOOP after "+cmd, got, closed)
		})
	}
}

// A session that renames or deletes its own selected mailbox knows it
// did: it goes on with other commands, is told nothing more of the
// mailbox, and ends at its next command on the messages, or at once in
// IDLE, where it would wait for news of a mailbox it no longer names.
func TestSessionThatRenamedItsMailboxEndsWhenItUsesIt(t *testing.T) {
	for _, cmd := range []string{"RENAME Work Old", "DELETE Work", "RENAME Work Old/Work"} {
		for _, next := range []string{"FETCH 1 (FLAGS)", "IDLE"} {
			t.Run(cmd+"/"+next, func(t *testing.T) {
				e := newEnv(t)
				a := replacedSetup(t, e, nil)
				a.expect("a2 "+cmd, "a2 OK "+strings.Fields(cmd)[0]+" completed")
				a.expect("a3 NOOP", "a3 OK NOOP completed")
				a.expect(`a4 LIST "" Work`, "a4 OK LIST completed")
				if next == "IDLE" {
					a.idleIn("a5")
				} else {
					a.send("a5 " + next)
				}
				got, closed := a.untilClosed("a5")
				byeOnly(t, next+" after "+cmd, got, closed)
			})
		}
	}
}

package imapd

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/mailbox"
)

// rawConn drives the server with exact command lines.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	r := dialRawNoGreeting(t, addr)
	if g := r.line(); !strings.HasPrefix(g, "* OK ") {
		t.Fatalf("greeting %q", g)
	}
	return r
}

func dialRawNoGreeting(t *testing.T, addr string) *rawConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

// readFull reads exactly len(p) bytes (a literal) from the connection.
func readFull(r *rawConn, p []byte) (int, error) {
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	return io.ReadFull(r.br, p)
}

func (r *rawConn) send(line string) {
	r.t.Helper()
	if _, err := r.c.Write([]byte(line + "\r\n")); err != nil {
		r.t.Fatalf("write %q: %v", line, err)
	}
}

func (r *rawConn) line() string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := r.br.ReadString('\n')
	if err != nil {
		r.t.Fatalf("read: %v (after %q)", err, l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// until reads lines up to the one starting with prefix and returns all.
func (r *rawConn) until(prefix string) []string {
	r.t.Helper()
	var lines []string
	for {
		l := r.line()
		lines = append(lines, l)
		if strings.HasPrefix(l, prefix) {
			return lines
		}
	}
}

func TestRawLoginCapabilityAndIdleExists(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.send(`a1 LOGIN ` + testUser + ` "` + testPass + `"`)
	login := r.until("a1 ")
	ok := login[len(login)-1]
	if !strings.HasPrefix(ok, "a1 OK [CAPABILITY IMAP4rev1 ") || !strings.Contains(ok, " IDLE ") || !strings.Contains(ok, " MOVE") {
		t.Fatalf("LOGIN reply %q lacks the capability code", ok)
	}
	r.send("a2 SELECT INBOX")
	sel := r.until("a2 ")
	if !containsLine(sel, "* 0 EXISTS") || !strings.HasPrefix(sel[len(sel)-1], "a2 OK [READ-WRITE]") {
		t.Fatalf("SELECT replies %q", sel)
	}
	r.send("a3 IDLE")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE continuation %q", l)
	}
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("raw", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"* 1 EXISTS", "* 1 RECENT"} {
		if l := r.line(); l != want {
			t.Fatalf("during IDLE got %q, want %q", l, want)
		}
	}
	r.send("DONE")
	if l := r.line(); !strings.HasPrefix(l, "a3 OK") {
		t.Fatalf("IDLE end %q", l)
	}
	r.send("a4 UID FETCH 1:* (FLAGS)")
	fetch := r.until("a4 ")
	if fetch[0] != `* 1 FETCH (UID 1 FLAGS (\Recent))` {
		t.Fatalf("UID FETCH replies %q", fetch)
	}
	r.send("a5 LOGOUT")
	r.until("a5 OK")
}

func TestRawBadCommandsKeepServing(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.send(`a1 LOGIN ` + testUser + ` "` + testPass + `"`)
	r.until("a1 OK")
	for i, cmd := range []string{
		"b1 FETCH 1 (FLAGS)",             // not selected
		"b2 SELECT Nowhere",              // no such mailbox
		"b3 SELECT INBOX",                // fine
		"b4 FETCH 1:* (BODY[1.2.3.4.5])", // nothing to fetch
		"b5 STORE 1 +FLAGS (\\Bogus)",    // no messages addressed
		"b6 UID SEARCH TEXT nothing",
		"b7 COPY 1:* \"\"",
	} {
		r.send(cmd)
		tag := strings.Fields(cmd)[0]
		lines := r.until(tag + " ")
		if i == 2 && !strings.HasPrefix(lines[len(lines)-1], tag+" OK") {
			t.Fatalf("%s: %q", cmd, lines)
		}
	}
	r.send("z NOOP")
	r.until("z OK")
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

// TestRawIdleFlushesPendingUpdates: a message that arrives between two
// commands is reported as soon as the client enters IDLE, not at the next
// unrelated event (Delta Chat sends IDLE right after its FETCH).
func TestRawIdleFlushesPendingUpdates(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("one", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	login := func(r *rawConn) {
		r.send(`a1 LOGIN ` + testUser + ` "` + testPass + `"`)
		r.until("a1 OK")
		r.send("a2 SELECT INBOX")
		r.until("a2 OK")
	}
	idler, witness := dialRaw(t, e.addr), dialRaw(t, e.addr)
	login(idler)
	login(witness)
	idler.send("b1 UID FETCH 1 (FLAGS)")
	idler.until("b1 OK")

	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("two", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	// Once another session is told, the update is queued for the idler too.
	deadline := time.Now().Add(10 * time.Second)
	for seen := false; !seen; {
		witness.send("w NOOP")
		seen = containsLine(witness.until("w OK"), "* 2 EXISTS")
		if !seen && time.Now().After(deadline) {
			t.Fatal("the second session never saw * 2 EXISTS")
		}
	}

	idler.send("b2 IDLE")
	if l := idler.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE continuation %q", l)
	}
	if l := idler.line(); l != "* 2 EXISTS" {
		t.Fatalf("first line in IDLE %q, want the pending * 2 EXISTS", l)
	}
	idler.send("DONE")
	idler.until("b2 OK")
}

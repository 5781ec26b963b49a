package imapd

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yggpost/yggpost/mailbox"
)

// FuzzSession feeds arbitrary bytes to a logged-in session with INBOX
// selected. The server must neither panic (imapserver would recover and log
// it) nor stop serving other connections.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"a FETCH 1:* (FLAGS BODY[] BODYSTRUCTURE ENVELOPE)\r\n",
		"a UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10> BINARY[1] BINARY.SIZE[1])\r\n",
		"a STORE 1:* +FLAGS.SILENT (\\Deleted)\r\na EXPUNGE\r\n",
		"a APPEND INBOX (\\Seen) {5+}\r\nhello\r\n",
		"a IDLE\r\nDONE\r\n",
		"a UID SEARCH OR BODY fox NOT SUBJECT x SINCE 1-Jan-2020 LARGER 10\r\n",
		"a MOVE * Trash\r\na COPY 1 Archive\r\n",
		"a CREATE x/y\r\na RENAME x z\r\na DELETE z\r\na LIST \"\" *\r\n",
		"a FETCH 4294967295 (BODY[1.2.3]<4294967295.1>)\r\n",
		"a UID EXPUNGE 1:*\r\na CLOSE\r\n",
		"a ID (\"name\" {3+}\r\nabc)\r\nb ID NIL\r\n",
		"a APPEND Sent {40+}\r\nMessage-ID: <x@y>\r\nSubject: s\r\n\r\nbody\r\n\r\n",
		"a UID SEARCH RETURN (MIN MAX COUNT) OR CC x BCC y\r\n",
		"a FETCH 1:* (BINARY.PEEK[1]<0.10> BINARY.SIZE[2] BINARY[2.1] BODY.PEEK[2.MIME] BODY.PEEK[2.HEADER.FIELDS (Subject)] BODY.PEEK[2.TEXT])\r\n",
		"a APPEND INBOX ~{7+}\r\nx\x00y\rz\n\r\na FETCH * (BODY[] BINARY[1])\r\n",
		"a APPEND INBOX (\\Seen) \" 1-Jan-2026 23:30:00 -0500\" {2+}\r\nhi\r\na SEARCH ON 1-Jan-2026 FROM \"(c)\" HEADER To \"\"\r\n",
		"a STORE 1 +FLAGS ($New \\Recent)\r\nb SEARCH NEW OLD RECENT\r\nc STATUS INBOX (RECENT)\r\n",
		"a EXAMINE INBOX\r\nb FETCH 1:* (FLAGS)\r\nc SELECT INBOX\r\n",
		"a SEARCH " + strings.Repeat("(", 101) + "ALL" + strings.Repeat(")", 101) + "\r\nb NOOP\r\n",
		"a SEARCH " + strings.Repeat("NOT ", 200) + "ALL\r\n",
		"a SELECT {2147483648}\r\na APPEND INBOX {2147483648}\r\nb NOOP\r\n",
		"a SELECT {4097+}\r\nz LOGOUT\r\n",
		"a APPEND INBOX {3+}\r\nabc {4+}\r\nz LOGOUT\r\nb NOOP\r\n",
		"a ID (" + strings.Repeat("\"field\" {3+}\r\nabc ", 31) + ")\r\n",
		"\r\nx\r\ny UID\r\nz] NOOP\r\nq SELECT \"INBOX {2+}\r\nxx\r\n",
		"a FETCH 0 FLAGS\r\nb COPY 1,0 INBOX\r\nc UID EXPUNGE 0:*\r\nd FETCH 01,x FLAGS\r\n",
		"a SEARCH FOO\r\nb UID SEARCH NOT (UID 0)\r\nc SEARCH SENTON \"31-Feb-2020\"\r\nd SEARCH OR 1 SINCE {3+}\r\nbad\r\n",
		"a APPEND INBOX (\\Seen) \"99-Foo-2020 25:00:00 +0000\" {3+}\r\nabc\r\nb NOOP\r\n",
		"a ENABLE QRESYNC\r\nb SELECT INBOX (QRESYNC (1 1 1:* (1:2 1:2)))\r\nc UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\n",
		"a STORE 1:* (UNCHANGEDSINCE 0) +FLAGS (x)\r\nb FETCH 1 (MODSEQ)\r\nc SEARCH MODSEQ \"/flags/x\" all 2\r\nd STATUS INBOX (HIGHESTMODSEQ)\r\n",
		"a SORT (REVERSE SUBJECT DATE) UTF-8 OR FROM a (1:*)\r\nb UID THREAD REFERENCES US-ASCII ALL\r\nc THREAD ORDEREDSUBJECT UTF-8 NOT DELETED\r\n",
		"a SELECT INBOX (CONDSTORE)\r\nb EXPUNGE\r\nc SORT () UTF-8 ALL\r\nd THREAD X Y\r\n",
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f)
	mime := "From: a@yggmail\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n--b--\r\n"
	for _, body := range []string{mime, string(testMessage("fuzz", 100))} {
		if _, _, err := e.store.Append("INBOX", strings.NewReader(body), mailbox.AppendOptions{}); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		fuzzOnce(t, e.addr, input)
		if logs := e.logs.String(); strings.Contains(logs, "panic") {
			t.Fatalf("server panicked:\n%s", logs)
		}
	})
}

func fuzzOnce(t *testing.T, addr string, input []byte) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	login := "l LOGIN " + testUser + " \"" + testPass + "\"\r\ns SELECT INBOX\r\n"
	go func() {
		c.Write([]byte(login))
		c.Write(input)
		c.Write([]byte("\r\nDONE\r\nz LOGOUT\r\n"))
		c.(*net.TCPConn).CloseWrite()
	}()
	out, err := io.ReadAll(c)
	if errors.Is(err, syscall.ECONNRESET) {
		err = nil // the server hung up on a malformed command while input was unread
	}
	if err != nil {
		t.Fatalf("server did not finish the session: %v (output %q)", err, tail(out))
	}
	if !bytes.Contains(out, []byte("l OK")) {
		t.Fatalf("login failed: %q", tail(out))
	}
	// The server must still greet a new client.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	greeting := make([]byte, 4)
	if _, err := io.ReadFull(c2, greeting); err != nil || string(greeting) != "* OK" {
		t.Fatalf("no greeting after fuzz input: %q %v", greeting, err)
	}
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}

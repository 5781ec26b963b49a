package imapd

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
)

// bufConn is a connection whose client side is a fixed input and whose
// output is collected.
type bufConn struct {
	net.Conn // nil: only the methods below are used
	in       io.Reader
	out      bytes.Buffer
}

func (c *bufConn) Read(p []byte) (int, error)      { return c.in.Read(p) }
func (c *bufConn) Write(p []byte) (int, error)     { return c.out.Write(p) }
func (c *bufConn) SetReadDeadline(time.Time) error { return nil }
func (c *bufConn) SetDeadline(time.Time) error     { return nil }
func (c *bufConn) RemoteAddr() net.Addr            { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7)} }
func (c *bufConn) Close() error                    { return nil }

// passThrough feeds client bytes through an extConn and returns what
// imapserver would read, what the client would get back, and the error
// that ended the stream other than its end (an ID cut short).
func passThrough(in []byte) (server, client []byte, err error) {
	c := &bufConn{in: bytes.NewReader(in)}
	x := newExtConn(c, slog.New(slog.DiscardHandler))
	server, err = io.ReadAll(x)
	return server, c.out.Bytes(), err
}

// simpleStream matches streams of plain commands: valid tags, no
// literals, quotes or lists, nothing extConn answers itself.
var simpleStream = regexp.MustCompile(`^([a-z0-9]+ [A-Z]+( [A-Za-z0-9:*,.]+)*\r\n)*$`)

// screenPlain splits a stream of plain commands into the lines that pass
// to imapserver (unchanged, but for ENABLE's unoffered capabilities) and
// the replies to those whose arguments the screening refuses (sequence
// sets, search keys).
func screenPlain(in []byte) (passed, refused []byte) {
	for _, line := range bytes.SplitAfter(in, []byte("\r\n")) {
		reply := screenNumSetArg(line)
		if reply == nil && len(line) > 0 {
			reply = screenHeldArgs([][]byte{line})
		}
		if reply != nil {
			refused = append(refused, reply...)
		} else {
			passed = append(passed, withOfferedEnable(line)...)
		}
	}
	return passed, refused
}

// checkClientLines checks that what extConn wrote to the client is whole
// lines: untagged, continuation requests or tagged responses.
func checkClientLines(t *testing.T, in, client []byte) {
	for _, line := range strings.SplitAfter(string(client), "\r\n") {
		tag, _, _ := strings.Cut(line, " ")
		if line != "" && (!strings.HasSuffix(line, "\r\n") || tag != "*" && tag != "+" && !validTag([]byte(tag))) {
			t.Fatalf("response line %.300q to %.300q", line, in)
		}
	}
}

// checkFramed checks that what imapserver reads keeps within its bounds:
// no line longer than maxCommandText, and outside APPEND no synchronizing
// literal and no literal larger than maxLiteral.
func checkFramed(t *testing.T, in, server []byte) {
	appending, first := false, true
	for len(server) > 0 {
		i := bytes.IndexByte(server, '\n')
		if i < 0 {
			i = len(server) - 1 // the end of a message cut short
		}
		line := server[:i+1]
		server = server[i+1:]
		if len(line) > maxCommandText {
			t.Fatalf("imapserver got a line of %d bytes from %.300q", len(line), in)
		}
		if first {
			cmd, _ := startCommand(line)
			appending = cmd.append
		}
		n, sync, ok := literalAtEnd(line)
		first = !ok || sync
		if ok && !appending && (sync || n > maxLiteral) {
			t.Fatalf("imapserver got literal {%d} (sync %v) from %.300q", n, sync, in)
		}
		if ok && !sync {
			server = server[min(n, int64(len(server))):]
		}
	}
}

// FuzzExtConn checks that the layer in front of imapserver never panics,
// hands imapserver only commands within its bounds, answers in whole lines,
// and changes nothing in a stream of plain commands.
func FuzzExtConn(f *testing.F) {
	for _, seed := range []string{
		"a LOGIN u p\r\nb SELECT INBOX\r\n",
		"a APPEND INBOX {11+}\r\nx ID NIL\r\n\r\nb NOOP\r\n",
		"a APPEND INBOX {3}\r\nabc\r\n",
		"a ID NIL\r\nb NOOP\r\n",
		"a ID (\"name\" {2+}\r\nxy)\r\n",
		"a IDLE\r\nDONE\r\n",
		"a SEARCH {99999999999+}\r\n",
		"a LOGIN {2147483648}\r\nb NOOP\r\n",
		"a APPEND INBOX {2147483648}\r\nb NOOP\r\n",
		"a LOGIN {5}\r\nuser1 {4097+}\r\n" + strings.Repeat("x", 4097) + "\r\nb NOOP\r\n",
		"a SEARCH " + strings.Repeat("(", 101) + "ALL" + strings.Repeat(")", 101) + "\r\nb NOOP\r\n",
		"a SELECT \"unterminated {3+}\r\nabc\r\nb NOOP\r\n",
		"\r\nx\r\na UID\r\nb] NOOP\r\n",
		"a APPEND {5}\r\nINBOX (\\Seen) {4+}\r\nbody junk {3+}\r\nabc\r\nb NOOP\r\n",
		"a CREATE {4}\r\n&Jjo\r\nb NOOP\r\n",
		"a RENAME {1+}\r\nx {4+}\r\n&Jjo {8+}\r\nc NOOP\r\n\r\nb NOOP\r\n",
		"a APPEND {4+}\r\n&Jjo {8+}\r\nc NOOP\r\n\r\nb NOOP\r\n",
		"a LIST \"\" ({3+}\r\n&\x01* %)\r\nb NOOP\r\n",
		"a ID (" + strings.Repeat("\"k\" {3+}\r\nabc ", 31) + ")\r\nb NOOP\r\n",
		"a IDLE\r\n" + strings.Repeat("D", 4001) + "\r\nb NOOP\r\n",
		"a FETCH 0 FLAGS\r\nb UID STORE 1,0:* +FLAGS (x)\r\nc NOOP\r\n",
		"a SEARCH OR FOO (SINCE 99-Foo-2020) 0\r\nb NOOP\r\n",
		"a SEARCH SUBJECT {1}\r\nx SINCE {2+}\r\nxy\r\nb NOOP\r\n",
		"a APPEND INBOX \"not a date\" {3}\r\nb APPEND INBOX \"x\" {3+}\r\nabc\r\nc NOOP\r\n",
		"a ENABLE IMAP4rev2 UTF8=ACCEPT\r\nb ENABLE IMAP4REV2\r\nc NOOP\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		server, client, err := passThrough(in)
		checkClientLines(t, in, client)
		checkFramed(t, in, server)
		if len(in) <= maxCommandText && simpleStream.Match(in) && !bytes.Contains(in, []byte(" ID")) {
			passed, refused := screenPlain(in)
			if err != nil || !bytes.Equal(server, passed) || !bytes.Equal(client, refused) {
				t.Fatalf("plain commands changed (%v):\n in  %.300q\n out %.300q\n back %.300q", err, in, server, client)
			}
		}
	})
}

// FuzzExtConnStartTLS feeds client bytes to an extConn that offers
// STARTTLS, from an address that may not log in without TLS: whatever
// follows a STARTTLS (a broken handshake, more commands) must end in an
// error or a clean stream, never a panic, and a stream of plain commands
// without STARTTLS passes through unchanged.
func FuzzExtConnStartTLS(f *testing.F) {
	for _, seed := range []string{
		"a STARTTLS\r\n",
		"a STARTTLS\r\nb LOGIN u p\r\n",
		"a starttls\r\n\x16\x03\x01\x00\x05hello",
		"a NOOP\r\nb STARTTLS extra\r\n",
		"a APPEND INBOX {12+}\r\nb STARTTLS\r\n",
		"a LOGIN {3}\r\nabc {3}\r\ndef\r\nb STARTTLS\r\n",
	} {
		f.Add([]byte(seed))
	}
	cert, key := testkit.SelfSignedCert(f, "127.0.0.1")
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		f.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}}
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &bufConn{in: bytes.NewReader(in)}
		x := newExtConn(c, slog.New(slog.DiscardHandler))
		x.sec = connSecurity{tls: cfg}
		server, err := io.ReadAll(x)
		upper := bytes.ToUpper(in)
		if len(in) <= maxCommandText && simpleStream.Match(in) && !bytes.Contains(upper, []byte(" ID")) && !bytes.Contains(upper, []byte("STARTTLS")) {
			if err != nil || !bytes.Equal(server, in) {
				t.Fatalf("plain commands changed (%v):\n in  %.300q\n out %.300q", err, in, server)
			}
		}
	})
}

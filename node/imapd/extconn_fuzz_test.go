package imapd

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
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

// FuzzExtConn checks that the layer in front of imapserver never panics
// and changes nothing in a stream that has no ID command.
func FuzzExtConn(f *testing.F) {
	for _, seed := range []string{
		"a LOGIN u p\r\nb SELECT INBOX\r\n",
		"a APPEND INBOX {11+}\r\nx ID NIL\r\n\r\nb NOOP\r\n",
		"a APPEND INBOX {3}\r\nabc\r\n",
		"a ID NIL\r\nb NOOP\r\n",
		"a ID (\"name\" {2+}\r\nxy)\r\n",
		"a IDLE\r\nDONE\r\n",
		"a SEARCH {99999999999+}\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		server, client, err := passThrough(in)
		if !bytes.Contains(bytes.ToUpper(in), []byte("ID")) {
			if err != nil || !bytes.Equal(server, in) || len(client) != 0 {
				t.Fatalf("stream without ID changed (%v):\n in  %q\n out %q\n back %q", err, in, server, client)
			}
		}
	})
}

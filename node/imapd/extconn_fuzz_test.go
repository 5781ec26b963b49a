package imapd

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
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

// FuzzExtConnStartTLS feeds client bytes to an extConn that offers
// STARTTLS, from an address that may not log in without TLS: whatever
// follows a STARTTLS (a broken handshake, more commands) must end in an
// error or a clean stream, never a panic, and a stream without STARTTLS
// or ID passes through unchanged.
func FuzzExtConnStartTLS(f *testing.F) {
	for _, seed := range []string{
		"a STARTTLS\r\n",
		"a STARTTLS\r\nb LOGIN u p\r\n",
		"a starttls\r\n\x16\x03\x01\x00\x05hello",
		"a NOOP\r\nb STARTTLS extra\r\n",
		"a APPEND INBOX {12+}\r\nb STARTTLS\r\n",
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
		if !bytes.Contains(upper, []byte("ID")) && !bytes.Contains(upper, []byte("STARTTLS")) {
			if err != nil || !bytes.Equal(server, in) {
				t.Fatalf("stream without ID or STARTTLS changed (%v):\n in  %q\n out %q", err, in, server)
			}
		}
	})
}

package smtpd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/clientsec"
	"github.com/yggpost/yggpost/node/mailheader"
)

// pipeListener is a net.Listener whose connections are the server ends
// of net.Pipe pairs handed to it by the test.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// panicWatch is a slog handler that fails the test when go-smtp reports
// a recovered panic through the error log.
type panicWatch struct {
	t *testing.T
}

func (p panicWatch) Enabled(context.Context, slog.Level) bool { return true }
func (p panicWatch) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p panicWatch) WithGroup(string) slog.Handler            { return p }
func (p panicWatch) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		p.t.Errorf("server panicked: %s", r.Message)
	}
	return nil
}

// checkingSubmitter reads each message and checks what the server may
// hand on at all.
type checkingSubmitter struct{ t *testing.T }

func (c checkingSubmitter) Submit(_ context.Context, from envelope.Address, to []envelope.Address, msg io.Reader) error {
	if from != local || len(to) == 0 {
		c.t.Errorf("submitted from %v to %v", from, to)
	}
	b, err := io.ReadAll(msg)
	if err != nil {
		return err
	}
	if err := checkFrom(b, local); err != nil {
		c.t.Errorf("submitted a message whose From: fails the check: %v", err)
	}
	return nil
}

func fuzzSeeds() []string {
	login := "EHLO x\r\nAUTH PLAIN " + plainIR(local.String(), testPassword) + "\r\n"
	mail := "MAIL FROM:<" + local.String() + "> BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<" + alice.String() + ">\r\n"
	msg := string(message(local.String(), "s", "..body\r\n"))
	return []string{
		"",
		"HELO x\r\nQUIT\r\n",
		"EHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\nDATA\r\n",
		login + mail + "DATA\r\n" + msg + ".\r\nQUIT\r\n",
		login + mail + "BDAT 5\r\nFrom:BDAT 3 LAST\r\n <x\r\n",
		login + mail + "BDAT 4294967295 LAST\r\n",
		"EHLO x\r\nAUTH LOGIN\r\n" + base64Std([]byte(local.String())) + "\r\n*\r\nAUTH LOGIN =\r\n",
		login + mail + "DATA\r\nFrom: <" + local.String() + ">\r\n\r\n.\r\nRSET\r\nNOOP\r\nVRFY x\r\n",
		login + "MAIL FROM:<" + local.String() + "> SIZE=99999999999\r\nRCPT TO:<" + strings.Repeat("a", 3000) + ">\r\n",
		// STARTTLS, then plaintext or the start of a ClientHello where
		// the handshake should be.
		"EHLO x\r\nSTARTTLS\r\n" + login + mail + "DATA\r\n" + msg + ".\r\n",
		"EHLO x\r\nSTARTTLS\r\n\x16\x03\x01\x00\x2a\x01\x00\x00\x26\x03\x03",
		login + "STARTTLS\r\nSTARTTLS\r\nAUTH LOGIN\r\n",
	}
}

// FuzzSession feeds arbitrary client bytes to a server over a pipe. The
// server must not panic, must not hang, and may submit only messages
// that pass the From: check. It offers STARTTLS, and the client (not on
// loopback) may send a password without TLS or not, as allowPlain says.
func FuzzSession(f *testing.F) {
	srvTLS, _ := testTLS(f, "node.test")
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, input []byte, allowPlain bool) {
		s := New(Options{Local: local, Authenticate: authenticate, Submitter: checkingSubmitter{t},
			MaxMessageSize: 1 << 16, MaxRecipients: 5, Logger: slog.New(panicWatch{t}),
			TLSConfig: srvTLS, Policy: clientsec.Policy{AllowPlain: allowPlain}})
		l := newPipeListener()
		served := make(chan error, 1)
		go func() { served <- s.Serve(l) }()
		client, server := net.Pipe()
		l.conns <- server
		go io.Copy(io.Discard, client) // replies
		client.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := client.Write(input); err != nil && !errors.Is(err, io.ErrClosedPipe) && !errors.Is(err, io.EOF) {
			t.Fatalf("write input: %v", err)
		}
		client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Fatalf("server did not finish the session: %v", err)
		}
		if err := <-served; err != nil {
			t.Fatalf("serve: %v", err)
		}
	})
}

// FuzzHeaderCheck runs the header reader and the From: check on
// arbitrary messages: the header and the rest must give back the input
// byte for byte, and a message passes only with a valid From: naming
// the local address.
func FuzzHeaderCheck(f *testing.F) {
	f.Add([]byte(message(local.String(), "s", "b")))
	f.Add([]byte("From: =?koi8-r?B?8NLJ18XU?= <" + strings.ToUpper(local.String()) + ">\r\n\r\n"))
	f.Add([]byte("from:\r\n\t<" + local.String() + ">\r\nX: y\r\n\r\nbody"))
	f.Add([]byte("From: <" + local.String() + ">\nFrom: <" + local.String() + ">\n\n"))
	f.Add([]byte("From: a@b, (comment) <" + local.String() + ">\r\n"))
	f.Add([]byte("\r\nFrom: <" + local.String() + ">\r\n"))
	f.Add([]byte("From: \"Group\": <" + local.String() + ">;\r\n\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		header, rest, err := mailheader.Read(bytes.NewReader(msg), 1<<12)
		if err != nil {
			if len(msg) <= 1<<12 {
				t.Fatalf("ReadHeader on %d bytes: %v", len(msg), err)
			}
			return
		}
		body, err := io.ReadAll(rest)
		if err != nil {
			t.Fatalf("read rest: %v", err)
		}
		if !bytes.Equal(append(header, body...), msg) {
			t.Fatalf("header+rest differ from the input")
		}
		err = checkFrom(header, local)
		var se *smtp.SMTPError
		switch {
		case err == nil:
			if !strings.Contains(strings.ToLower(string(header)), local.Hex()) {
				t.Fatalf("accepted a header without the local address: %q", header)
			}
		case !errors.As(err, &se) || se.Code != 550:
			t.Fatalf("check error %v is not a 550 reply", err)
		}
	})
}

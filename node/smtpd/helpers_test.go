package smtpd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
)

const testPassword = "correct horse"

// addr returns a distinct test address derived from a label.
func addr(label string) envelope.Address {
	seed := sha256.Sum256([]byte(label))
	a, err := envelope.AddressFromKey(ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
	if err != nil {
		panic(fmt.Sprintf("test address %q: %v", label, err))
	}
	return a
}

var (
	local = addr("local user")
	alice = addr("alice")
	bob   = addr("bob")
)

// submission is one call to Submit, as seen by fileSubmitter.
type submission struct {
	from envelope.Address
	to   []envelope.Address
	path string // the message bytes, written to a file
}

func (s submission) body(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(s.path)
	if err != nil {
		t.Fatalf("read submitted message: %v", err)
	}
	return b
}

// fileSubmitter is the Submitter of the tests: it streams each message
// into a file in a temp dir, like the outbox will, and records the call.
type fileSubmitter struct {
	dir  string
	fail error // returned instead of storing, if set

	mu   sync.Mutex
	subs []submission
	got  chan struct{}
}

func newFileSubmitter(t *testing.T) *fileSubmitter {
	return &fileSubmitter{dir: t.TempDir(), got: make(chan struct{}, 100)}
}

func (f *fileSubmitter) Submit(_ context.Context, from envelope.Address, to []envelope.Address, msg io.Reader) error {
	if f.fail != nil {
		if _, err := io.Copy(io.Discard, msg); err != nil {
			return fmt.Errorf("drain message: %w", err)
		}
		return f.fail
	}
	f.mu.Lock()
	path := filepath.Join(f.dir, fmt.Sprintf("msg%d", len(f.subs)))
	f.mu.Unlock()
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %q: %w", path, err)
	}
	if _, err := io.Copy(file, msg); err != nil {
		file.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := file.Sync(); err != nil {
		file.Close()
		return fmt.Errorf("sync %q: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("close %q: %w", path, err)
	}
	f.mu.Lock()
	f.subs = append(f.subs, submission{from: from, to: to, path: path})
	f.mu.Unlock()
	f.got <- struct{}{}
	return nil
}

func (f *fileSubmitter) all() []submission {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]submission(nil), f.subs...)
}

func authenticate(username, password string) error {
	u, err := envelope.ParseAddress(username)
	if err != nil || u != local || password != testPassword {
		return errors.New("bad user name or password")
	}
	return nil
}

// startServer runs a Server on 127.0.0.1:0 and stops it at the end of
// the test, checking that Serve returned.
func startServer(t *testing.T, sub Submitter, tweak func(*Options)) (*Server, string) {
	t.Helper()
	s := newServer(sub, tweak)
	return s, serveOn(t, s, s.Serve, nil)
}

// newServer is the Server of the tests, with tweak applied to its options.
func newServer(sub Submitter, tweak func(*Options)) *Server {
	opts := Options{Local: local, Authenticate: authenticate, Submitter: sub, Hostname: "node.test"}
	if tweak != nil {
		tweak(&opts)
	}
	return New(opts)
}

// serveOn runs serve (s.Serve or s.ServeTLS) on a new listener on
// 127.0.0.1:0, wrapped by wrap unless it is nil, and returns its address.
// At the end of the test it closes s and checks that serve returned.
func serveOn(t *testing.T, s *Server, serve func(net.Listener) error, wrap func(net.Listener) net.Listener) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	address := l.Addr().String()
	if wrap != nil {
		l = wrap(l)
	}
	served := make(chan error, 1)
	go func() { served <- serve(l) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		select {
		case err := <-served:
			// ErrServerClosed: the test ended before Serve got going.
			if err != nil && !errors.Is(err, smtp.ErrServerClosed) {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("serve did not return after Close")
		}
	})
	return address
}

// dialAuthed returns a go-smtp client that has said EHLO and AUTH PLAIN.
func dialAuthed(t *testing.T, address string) *smtp.Client {
	t.Helper()
	c := dial(t, address)
	if err := c.Auth(sasl.NewPlainClient("", local.String(), testPassword)); err != nil {
		t.Fatalf("auth plain: %v", err)
	}
	return c
}

func dial(t *testing.T, address string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(address)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatalf("ehlo: %v", err)
	}
	return c
}

// message builds a small message from the given From: value.
func message(from, subject, body string) []byte {
	return []byte("From: " + from + "\r\nTo: <" + alice.String() + ">\r\nSubject: " + subject +
		"\r\nMessage-ID: <1@yggmail>\r\n\r\n" + body)
}

// send runs one transaction with the client and returns the error of the
// first step that failed.
func send(c *smtp.Client, from string, to []string, msg []byte) error {
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	return w.Close()
}

// wantCode checks that err is an SMTP reply with the given codes.
func wantCode(t *testing.T, err error, code int, enh smtp.EnhancedCode) *smtp.SMTPError {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("got error %v, want SMTP %d %v", err, code, enh)
	}
	if se.Code != code || se.EnhancedCode != enh {
		t.Fatalf("got %d %v %q, want %d %v", se.Code, se.EnhancedCode, se.Message, code, enh)
	}
	return se
}

// waitSubmissions waits until n messages were submitted, or fails.
func waitSubmissions(t *testing.T, f *fileSubmitter, n int) []submission {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for len(f.all()) < n {
		select {
		case <-f.got:
		case <-deadline:
			t.Fatalf("got %d submissions, want %d", len(f.all()), n)
		}
	}
	return f.all()
}

// rawConn speaks SMTP line by line, for what client libraries do not send.
type rawConn struct {
	t *testing.T
	c net.Conn
	*textproto.Conn
}

func dialRaw(t *testing.T, address string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	r := &rawConn{t: t, c: c, Conn: textproto.NewConn(c)}
	r.expect(220, "")
	return r
}

// cmd sends one line and checks the reply code and that the reply
// contains want.
func (r *rawConn) cmd(line string, code int, want string) string {
	r.t.Helper()
	if err := r.PrintfLine("%s", line); err != nil {
		r.t.Fatalf("send %q: %v", line, err)
	}
	return r.expect(code, want)
}

func (r *rawConn) expect(code int, want string) string {
	r.t.Helper()
	got, msg, err := r.ReadResponse(0)
	if err != nil && got == 0 {
		r.t.Fatalf("read reply: %v", err)
	}
	if got != code || !strings.Contains(msg, want) {
		r.t.Fatalf("got reply %d %q, want %d containing %q", got, msg, code, want)
	}
	return msg
}

// login does EHLO and AUTH PLAIN with an initial response.
func (r *rawConn) login() {
	r.t.Helper()
	r.cmd("EHLO client.test", 250, "")
	r.cmd("AUTH PLAIN "+plainIR(local.String(), testPassword), 235, "")
}

func plainIR(user, pass string) string {
	var b bytes.Buffer
	b.WriteString("\x00" + user + "\x00" + pass)
	return base64Std(b.Bytes())
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

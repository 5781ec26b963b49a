package imapd

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
)

const (
	testUser = "0000000000000000000000000000000000000000000000000000000000000001@yggmail"
	testPass = "correct horse"
)

// testEnv is a real store in a temporary directory and a real server on a
// loopback port.
type testEnv struct {
	t      testing.TB
	dir    string
	store  *mailbox.Store
	srv    *Server
	addr   string
	served chan error
	logs   *testkit.Buffer
	// lastSrv is the most recent server, kept after stop for inspection.
	lastSrv *Server
}

func newEnv(t testing.TB) *testEnv {
	e := &testEnv{t: t, dir: t.TempDir(), logs: &testkit.Buffer{}}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *testEnv) start() {
	st, err := mailbox.Open(e.dir, mailbox.Options{})
	if err != nil {
		e.t.Fatalf("open store: %v", err)
	}
	e.store = st
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.srv = New(Options{Store: st, Authenticate: checkTestLogin, Logger: log})
	e.lastSrv = e.srv
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatalf("listen: %v", err)
	}
	e.addr = l.Addr().String()
	e.served = make(chan error, 1)
	go func() { e.served <- e.srv.Serve(l) }()
}

// stop closes the server and then the store; it may run twice.
func (e *testEnv) stop() {
	if e.srv == nil {
		return
	}
	if err := e.srv.Close(); err != nil {
		e.t.Errorf("close server: %v", err)
	}
	select {
	case err := <-e.served:
		if err != nil {
			e.t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		e.t.Errorf("Serve did not return after Close")
	}
	if err := e.store.Close(); err != nil {
		e.t.Errorf("close store: %v", err)
	}
	e.srv = nil
}

func checkTestLogin(user, pass string) error {
	if user == testUser && pass == testPass {
		return nil
	}
	return errors.New("wrong user or password")
}

// dial connects and logs in an imapclient session.
func (e *testEnv) dial(h *imapclient.UnilateralDataHandler) *imapclient.Client {
	e.t.Helper()
	c, err := imapclient.DialInsecure(e.addr, &imapclient.Options{UnilateralDataHandler: h})
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		e.t.Fatalf("login: %v", err)
	}
	return c
}

// testMessage builds a message whose body has about n bytes.
func testMessage(subject string, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Alice <alice@yggmail>\r\nTo: bob@yggmail\r\nSubject: %s\r\n", subject)
	fmt.Fprintf(&b, "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%s@yggmail>\r\n", subject)
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n")
	line := []byte("The quick brown fox jumps over the lazy dog 0123456789.\r\n")
	for written := 0; written < n; written += len(line) {
		b.Write(line)
	}
	return b.Bytes()
}

func appendIMAP(t testing.TB, c *imapclient.Client, name string, msg []byte, flags ...imap.Flag) *imap.AppendData {
	t.Helper()
	cmd := c.Append(name, int64(len(msg)), &imap.AppendOptions{Flags: flags})
	if _, err := cmd.Write(msg); err != nil {
		t.Fatalf("append write: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("append close: %v", err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return data
}

package smtpd

import (
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
)

// Commands sent in one burst after go-smtp closed a connection for too many
// errors make go-smtp panic in its handler; it recovers. The log gets one
// Warn line with the client's address, not the stack.
func TestHandlerPanicIsOneLogLine(t *testing.T) {
	var logs testkit.Buffer
	_, addr := startServer(t, newFileSubmitter(t), func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("EHLO 0\n\n\n\n\nMAIL FROM:<>\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			break // the server closed the connection
		}
	}
	testkit.WaitFor(t, 5*time.Second, "the internal error in the log", func() bool {
		return strings.Contains(logs.String(), "smtp connection ended by an internal error")
	})
	if out := logs.String(); strings.Contains(out, "goroutine") || strings.Count(out, "\n") > 3 {
		t.Errorf("the log holds more than the one line:\n%s", out)
	}
}

package main

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/nodetest"
)

// TestHangupAddsAPeer: a node runs from a configuration file without
// peers; mail to bob waits. The file gains bob as a peer and the node gets
// SIGHUP: the mail is delivered, and the IMAP session a mail client had
// open all along still answers.
func TestHangupAddsAPeer(t *testing.T) {
	bob := nodetest.Start(t, "bob", nodetest.Options{Listen: true})
	db := t.TempDir() + "/alice.db"
	if code, _, errs := runCmd(t, "pw\n", "-database", db, "-password"); code != exitOK {
		t.Fatalf("-password: %s", errs)
	}
	base := "Database: " + db + "\nSMTP: 127.0.0.1:0\nIMAP: 127.0.0.1:0\nListen: [\"tcp://127.0.0.1:0\"]\n"
	path := writeConf(t, base)
	var errs testkit.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, []string{"-useconffile", path}, strings.NewReader(""), &testkit.Buffer{}, &errs)
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("exit %d: %s", code, errs.String())
		}
	}()
	testkit.WaitFor(t, 10*time.Second, "the node running in "+errs.String(), func() bool {
		return strings.Contains(errs.String(), `msg="node running"`)
	})
	line := lineWith(errs.String(), `msg="node running"`)
	addr := strings.TrimSpace(addressOf(t, db))
	smtpAddr := field(line, "smtp")
	imapAddr := field(line, "imap")

	client, err := imapclient.DialInsecure(imapAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.Login(addr, "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msg := "From: <" + addr + ">\r\nTo: <" + bob.Addr.String() + ">\r\nSubject: after the reload\r\nMessage-ID: <hup@test>\r\n\r\nhi\r\n"
	submit(t, smtpAddr, addr, bob.Addr.String(), msg)

	if err := os.WriteFile(path, []byte(base+"Peers: [\""+bob.MeshURL()+"\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	got := bob.WaitInbox(1, 60*time.Second)
	if string(got[0]) != msg {
		t.Errorf("bob got %q, want %q", got[0], msg)
	}
	if err := client.Noop().Wait(); err != nil {
		t.Errorf("the IMAP session did not survive the reload: %v", err)
	}
	if !strings.Contains(errs.String(), "peers replaced") {
		t.Errorf("the log does not show the new peers:\n%s", errs.String())
	}
}

// field returns the value of key=value in a log line.
func field(line, key string) string {
	_, rest, _ := strings.Cut(line, " "+key+"=")
	v, _, _ := strings.Cut(rest, " ")
	return v
}

//go:build linux

package node_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
)

// envRemoteChild marks the re-executed test binary that runs inside the
// network namespace of TestRemoteClientsMustUseTLS.
const envRemoteChild = "YGGPOST_REMOTE_CHILD"

// remoteIP is the node's address in the namespace: not loopback, so its
// clients are treated as clients on another machine. guesserIP is a
// second address there, for a client that guesses passwords.
const (
	remoteIP  = "192.0.2.1"
	guesserIP = "192.0.2.2"
)

// TestRemoteClientsMustUseTLS runs a node whose IMAP and SMTP listen on a
// non-loopback address (on a veth interface in a network namespace of its
// own; this test binary re-executed there) and talks to it from that
// address: a password without TLS is refused on both protocols with their
// own signals, and taken after STARTTLS. Then a client at another address
// guesses: its fourth wrong password waits a second, while the right one
// from the first address is taken at once.
func TestRemoteClientsMustUseTLS(t *testing.T) {
	if os.Getenv(envRemoteChild) != "" {
		remoteChild(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip (Debian package iproute2)")
	}
	ns := "ygpremote" + strings.TrimLeft(time.Now().Format(".000000"), ".")
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace (%v): %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() }) // best effort
	for _, args := range [][]string{
		{"-n", ns, "link", "set", "lo", "up"},
		{"-n", ns, "link", "add", "ygp0", "type", "veth", "peer", "name", "ygp1"},
		{"-n", ns, "addr", "add", remoteIP + "/24", "dev", "ygp0"},
		{"-n", ns, "addr", "add", guesserIP + "/24", "dev", "ygp1"},
		{"-n", ns, "link", "set", "ygp0", "up"},
		{"-n", ns, "link", "set", "ygp1", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, self, "-test.run=^TestRemoteClientsMustUseTLS$", "-test.v", "-test.timeout=90s")
	cmd.Env = append(os.Environ(), envRemoteChild+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "REMOTE-OK") {
		t.Fatalf("the node in namespace %s failed (%v):\n%s", ns, err, out)
	}
}

// remoteChild is the test inside the namespace.
func remoteChild(t *testing.T) {
	n := nodetest.Start(t, "remote", nodetest.Options{Tweak: func(c *node.Config) {
		c.IMAPAddr, c.SMTPAddr = remoteIP+":0", remoteIP+":0"
		c.TLSHosts = []string{remoteIP}
	}})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(n.Node.TLSCertificatePEM())
	trust := &tls.Config{RootCAs: roots, ServerName: remoteIP}
	user := n.Addr.String()

	// IMAP: LOGINDISABLED, and a refused LOGIN, before TLS.
	c, err := net.DialTimeout("tcp", n.IMAPAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if local := c.LocalAddr().(*net.TCPAddr); local.IP.IsLoopback() {
		t.Fatalf("the client's address %s is loopback; the test needs another", local)
	}
	r := bufio.NewReader(c)
	greeting, _ := r.ReadString('\n')
	if !strings.Contains(greeting, "LOGINDISABLED") || !strings.Contains(greeting, "STARTTLS") || strings.Contains(greeting, "AUTH=") {
		t.Errorf("IMAP greeting %q: want LOGINDISABLED and STARTTLS, no AUTH=", greeting)
	}
	c.Write([]byte("a LOGIN " + user + ` "` + nodetest.Password + "\"\r\n"))
	if reply, _ := r.ReadString('\n'); !strings.HasPrefix(reply, "a NO [PRIVACYREQUIRED]") {
		t.Errorf("IMAP LOGIN without TLS: %q, want NO [PRIVACYREQUIRED]", reply)
	}
	// After STARTTLS, with the node's certificate checked, it works.
	ic, err := imapclient.DialStartTLS(n.IMAPAddr, &imapclient.Options{TLSConfig: trust})
	if err != nil {
		t.Fatalf("IMAP STARTTLS: %v", err)
	}
	defer ic.Close()
	if err := ic.Login(user, nodetest.Password).Wait(); err != nil {
		t.Fatalf("IMAP LOGIN after STARTTLS: %v", err)
	}

	// SMTP: no AUTH in EHLO and 530 5.7.0 before TLS.
	sc, err := smtp.Dial(n.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if err := sc.Hello("remote.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := sc.Extension("AUTH"); ok {
		t.Error("EHLO offers AUTH before TLS")
	}
	if ok, _ := sc.Extension("STARTTLS"); !ok {
		t.Error("EHLO does not offer STARTTLS")
	}
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + nodetest.Password))
	code, msg, err := rawSMTP(t, n.SMTPAddr, "AUTH PLAIN "+ir)
	if err != nil || code != 530 || !strings.HasPrefix(msg, "5.7.0 Must issue a STARTTLS command first") {
		t.Errorf("SMTP AUTH without TLS: %d %q (%v), want 530 5.7.0 Must issue a STARTTLS command first", code, msg, err)
	}
	sc, err = smtp.DialStartTLS(n.SMTPAddr, trust)
	if err != nil {
		t.Fatalf("SMTP STARTTLS: %v", err)
	}
	defer sc.Close()
	if err := sc.Auth(sasl.NewPlainClient("", user, nodetest.Password)); err != nil {
		t.Fatalf("SMTP AUTH after STARTTLS: %v", err)
	}
	msgText := nodetest.Message(n.Addr, n.Addr, "sent from another machine", "over TLS\r\n")
	if err := sc.SendMail(user, []string{user}, strings.NewReader(string(msgText))); err != nil {
		t.Fatalf("send after STARTTLS: %v", err)
	}
	// The harness's own IMAP client would log in without TLS: ask over
	// the TLS session instead.
	testkit.WaitFor(t, 20*time.Second, "the message in INBOX", func() bool {
		st, err := ic.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		return err == nil && *st.NumMessages == 1
	})

	// Guessing from guesserIP is slowed; the user at remoteIP is not.
	guess := func(password string) (time.Duration, error) {
		conn, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(guesserIP)}, Timeout: 5 * time.Second}).Dial("tcp", n.IMAPAddr)
		if err != nil {
			t.Fatal(err)
		}
		gc, err := imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: trust})
		if err != nil {
			t.Fatal(err)
		}
		defer gc.Close()
		start := time.Now()
		err = gc.Login(user, password).Wait()
		return time.Since(start), err
	}
	for i := range 3 {
		if took, err := guess("wrong"); err == nil || took >= time.Second {
			t.Fatalf("wrong password %d: %v after %v; want it refused without the 1 s delay", i+1, err, took)
		}
	}
	if took, err := guess("wrong"); err == nil || took < time.Second {
		t.Errorf("the fourth wrong password: %v after %v; want it answered after a delay of 1 s", err, took)
	}
	start := time.Now()
	uc, err := imapclient.DialStartTLS(n.IMAPAddr, &imapclient.Options{TLSConfig: trust})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	// Sharing the guesser's record it would wait 2 s now.
	if err := uc.Login(user, nodetest.Password).Wait(); err != nil || time.Since(start) >= 2*time.Second {
		t.Errorf("the right password from %s: %v after %v; want it taken without the guesser's delay", remoteIP, err, time.Since(start))
	}
	os.Stdout.WriteString("REMOTE-OK\n")
}

// rawSMTP opens a connection, says EHLO, sends one command and returns the
// reply's code and text.
func rawSMTP(t *testing.T, addr, cmd string) (int, string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	tc := textproto.NewConn(c)
	if _, _, err := tc.ReadResponse(220); err != nil {
		return 0, "", err
	}
	if err := tc.PrintfLine("EHLO remote.test"); err != nil {
		return 0, "", err
	}
	if _, _, err := tc.ReadResponse(250); err != nil {
		return 0, "", err
	}
	if err := tc.PrintfLine("%s", cmd); err != nil {
		return 0, "", err
	}
	code, msg, err := tc.ReadResponse(0)
	if _, ok := err.(*textproto.Error); ok {
		err = nil
	}
	return code, msg, err
}

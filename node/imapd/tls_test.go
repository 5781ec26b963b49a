package imapd

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/internal/clientsec"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
)

// tlsServer is a server with a TLS certificate for 127.0.0.1 and two
// listeners: plain (STARTTLS) and IMAPS. Connections on the plain one can
// be made to look as if they came from another machine.
type tlsServer struct {
	srv       *Server
	plain     string // STARTTLS listener
	imaps     string // implicit TLS listener
	client    *tls.Config
	logs      *testkit.Buffer
	fakeFrom  net.Addr // remote address the plain listener reports; nil: the real one
	srvClosed chan struct{}
}

func startTLSServer(t *testing.T, policy clientsec.Policy, fakeFrom net.Addr) *tlsServer {
	t.Helper()
	certPEM, keyPEM := testkit.SelfSignedCert(t, "127.0.0.1")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	st, err := mailbox.Open(t.TempDir(), mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := &tlsServer{client: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}, logs: &testkit.Buffer{}, fakeFrom: fakeFrom}
	log := slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts.srv = New(Options{Store: st, Authenticate: checkTestLogin, Logger: log,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, Policy: policy})
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	imaps, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.plain, ts.imaps = plain.Addr().String(), imaps.Addr().String()
	var l net.Listener = plain
	if fakeFrom != nil {
		l = fromListener{Listener: plain, from: fakeFrom}
	}
	go ts.srv.Serve(l)
	go ts.srv.ServeTLS(imaps)
	t.Cleanup(func() { ts.srv.Close(); st.Close() })
	return ts
}

// fromListener makes its connections report from as their remote address.
type fromListener struct {
	net.Listener
	from net.Addr
}

func (l fromListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return fromConn{Conn: c, from: l.from}, nil
}

type fromConn struct {
	net.Conn
	from net.Addr
}

func (c fromConn) RemoteAddr() net.Addr { return c.from }

var elsewhere = &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 40000}

// untilTagged sends cmd and returns the response lines up to the tagged
// one, which is last.
func (rc *rawConn) untilTagged(tag, cmd string) []string {
	rc.t.Helper()
	rc.send(tag + " " + cmd)
	return rc.until(tag + " ")
}

// upgrade runs the TLS handshake on rc after a STARTTLS OK.
func (rc *rawConn) upgrade(cfg *tls.Config) {
	rc.t.Helper()
	tc := tls.Client(rc.c, cfg)
	if err := tc.Handshake(); err != nil {
		rc.t.Fatalf("TLS handshake after STARTTLS: %v", err)
	}
	rc.c, rc.br = tc, bufio.NewReader(tc)
}

func plainAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

// A client on another machine is told to use TLS first (LOGINDISABLED, no
// AUTH=), LOGIN and AUTHENTICATE are refused with PRIVACYREQUIRED, and
// after STARTTLS the capabilities offer AUTH and the login works; ID is
// answered inside TLS.
func TestRemoteClientMustStartTLS(t *testing.T) {
	ts := startTLSServer(t, clientsec.Policy{}, elsewhere)
	rc := dialRawNoGreeting(t, ts.plain)
	greeting := rc.line()
	for _, want := range []string{"STARTTLS", "LOGINDISABLED", " ID"} {
		if !strings.Contains(greeting, want) {
			t.Errorf("greeting %q lacks %s", greeting, want)
		}
	}
	if strings.Contains(greeting, "AUTH=") {
		t.Errorf("greeting %q offers AUTH= before TLS", greeting)
	}
	if got := rc.untilTagged("a", "LOGIN "+testUser+` "`+testPass+`"`); !strings.HasPrefix(got[len(got)-1], "a NO [PRIVACYREQUIRED]") {
		t.Errorf("LOGIN without TLS: %q, want NO [PRIVACYREQUIRED]", got)
	}
	if got := rc.untilTagged("b", "AUTHENTICATE PLAIN "+plainAuth(testUser, testPass)); !strings.HasPrefix(got[len(got)-1], "b NO") {
		t.Errorf("AUTHENTICATE without TLS: %q, want NO", got)
	}
	if got := rc.untilTagged("c", "STARTTLS"); got[len(got)-1] != "c OK Begin TLS negotiation now" {
		t.Fatalf("STARTTLS: %q", got)
	}
	rc.upgrade(ts.client)
	caps := rc.untilTagged("d", "CAPABILITY")
	if !strings.Contains(caps[0], "AUTH=PLAIN") || strings.Contains(caps[0], "LOGINDISABLED") || strings.Contains(caps[0], "STARTTLS") {
		t.Errorf("capabilities inside TLS: %q; want AUTH=PLAIN, and neither LOGINDISABLED nor STARTTLS", caps[0])
	}
	if got := rc.untilTagged("e", `ID ("name" "test")`); !strings.HasPrefix(got[0], "* ID (") || got[len(got)-1] != "e OK ID completed" {
		t.Errorf("ID inside TLS: %q", got)
	}
	if got := rc.untilTagged("f", "STARTTLS"); !strings.HasPrefix(got[len(got)-1], "f BAD") {
		t.Errorf("a second STARTTLS: %q, want BAD", got)
	}
	if got := rc.untilTagged("g", "LOGIN "+testUser+` "`+testPass+`"`); !strings.HasPrefix(got[len(got)-1], "g OK") {
		t.Errorf("LOGIN inside TLS: %q", got)
	}
}

// Commands sent after STARTTLS but before the handshake came over the
// plain connection, where anyone could have added them: they are dropped,
// not run inside TLS.
func TestStartTLSDropsInjectedCommands(t *testing.T) {
	ts := startTLSServer(t, clientsec.Policy{}, elsewhere)
	rc := dialRaw(t, ts.plain)
	rc.send("a STARTTLS\r\nb LOGIN " + testUser + ` "` + testPass + `"`)
	if l := rc.line(); l != "a OK Begin TLS negotiation now" {
		t.Fatalf("STARTTLS: %q", l)
	}
	rc.upgrade(ts.client)
	got := rc.untilTagged("c", "NOOP")
	for _, l := range got {
		if strings.HasPrefix(l, "b ") {
			t.Fatalf("the injected LOGIN was run inside TLS: %q", got)
		}
	}
	if got := rc.untilTagged("d", "SELECT INBOX"); !strings.HasPrefix(got[len(got)-1], "d NO") && !strings.HasPrefix(got[len(got)-1], "d BAD") {
		t.Errorf("SELECT before any login inside TLS: %q; the injected LOGIN must not count", got)
	}
}

// A real IMAP client: STARTTLS verifying the certificate, then login and a
// message round trip; and the same over IMAPS.
func TestIMAPClientOverTLS(t *testing.T) {
	ts := startTLSServer(t, clientsec.Policy{}, elsewhere)
	dials := map[string]func() (*imapclient.Client, error){
		"STARTTLS": func() (*imapclient.Client, error) {
			return imapclient.DialStartTLS(ts.plain, &imapclient.Options{TLSConfig: ts.client})
		},
		"IMAPS": func() (*imapclient.Client, error) {
			return imapclient.DialTLS(ts.imaps, &imapclient.Options{TLSConfig: ts.client})
		},
	}
	for _, name := range []string{"STARTTLS", "IMAPS"} {
		t.Run(name, func(t *testing.T) {
			c, err := dials[name]()
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			if err := c.Login(testUser, testPass).Wait(); err != nil {
				t.Fatalf("login: %v", err)
			}
			if _, err := c.ID(&imap.IDData{Name: "tls test"}).Wait(); err != nil {
				t.Fatalf("ID: %v", err)
			}
			msg := testMessage(name, 2000)
			added := appendIMAP(t, c, "INBOX", msg)
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			msgs, err := c.Fetch(imap.UIDSetNum(added.UID), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
			if err != nil || len(msgs) != 1 || string(msgs[0].FindBodySection(&imap.FetchItemBodySection{Peek: true})) != string(msg) {
				t.Fatalf("fetch over %s: %v, %d messages", name, err, len(msgs))
			}
		})
	}
}

// On loopback nothing changes: a password is taken without TLS, and
// STARTTLS is offered beside it. With AllowPlain, so is a client
// elsewhere.
func TestPlainLoginWhereAllowed(t *testing.T) {
	for name, ts := range map[string]*tlsServer{
		"loopback":              startTLSServer(t, clientsec.Policy{}, nil),
		"elsewhere, AllowPlain": startTLSServer(t, clientsec.Policy{AllowPlain: true}, elsewhere),
	} {
		rc := dialRawNoGreeting(t, ts.plain)
		greeting := rc.line()
		if !strings.Contains(greeting, "AUTH=PLAIN") || !strings.Contains(greeting, "STARTTLS") || strings.Contains(greeting, "LOGINDISABLED") {
			t.Errorf("%s: greeting %q; want AUTH=PLAIN and STARTTLS, no LOGINDISABLED", name, greeting)
		}
		if got := rc.untilTagged("a", "LOGIN "+testUser+` "`+testPass+`"`); !strings.HasPrefix(got[len(got)-1], "a OK") {
			t.Errorf("%s: LOGIN: %q", name, got)
		}
		if got := rc.untilTagged("b", "STARTTLS"); !strings.HasPrefix(got[len(got)-1], "b BAD") {
			t.Errorf("%s: STARTTLS after login: %q, want BAD", name, got)
		}
	}
}

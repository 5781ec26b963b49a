package smtpd

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/clientsec"
	"github.com/yggpost/yggpost/internal/testkit"
)

// testTLS returns a server configuration with a fresh self-signed
// certificate for host, and a client configuration that trusts exactly
// that certificate.
func testTLS(t testing.TB, host string) (server, client *tls.Config) {
	t.Helper()
	certPEM, keyPEM := testkit.SelfSignedCert(t, host)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("load test certificate: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(certPEM) {
		t.Fatalf("no certificate in %q", certPEM)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, &tls.Config{RootCAs: roots, ServerName: host}
}

// otherMachine is the address a fromOtherMachine listener reports for
// its clients: not loopback, so Options.Policy applies.
var otherMachine = &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1234}

// fromOtherMachine wraps l so that its connections report otherMachine as
// their remote address.
func fromOtherMachine(l net.Listener) net.Listener { return remoteListener{l} }

type remoteListener struct{ net.Listener }

func (l remoteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return remoteConn{c}, nil
}

type remoteConn struct{ net.Conn }

func (remoteConn) RemoteAddr() net.Addr { return otherMachine }

// startTLS sends STARTTLS and runs the client side of the handshake;
// from then on r speaks through TLS.
func (r *rawConn) startTLS(cfg *tls.Config) {
	r.t.Helper()
	r.cmd("STARTTLS", 220, "")
	r.useTLS(tls.Client(r.c, cfg))
}

func (r *rawConn) useTLS(tc *tls.Conn) {
	r.t.Helper()
	if err := tc.Handshake(); err != nil {
		r.t.Fatalf("tls handshake: %v", err)
	}
	r.c, r.Conn = tc, textproto.NewConn(tc)
}

// dialRawTLS is dialRaw on a ServeTLS listener.
func dialRawTLS(t *testing.T, address string, cfg *tls.Config) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	r := &rawConn{t: t, c: c}
	r.useTLS(tls.Client(c, cfg))
	r.expect(220, "")
	return r
}

// sendRaw runs one transaction on a logged-in rawConn.
func (r *rawConn) sendRaw(msg []byte) {
	r.t.Helper()
	r.cmd("MAIL FROM:<"+local.String()+">", 250, "")
	r.cmd("RCPT TO:<"+alice.String()+">", 250, "")
	r.cmd("DATA", 354, "")
	if _, err := r.c.Write(append(msg, ".\r\n"...)); err != nil {
		r.t.Fatalf("write message: %v", err)
	}
	r.expect(250, "")
}

// wantVerified checks that the client checked the server's certificate.
func wantVerified(t *testing.T, c *smtp.Client) {
	t.Helper()
	state, ok := c.TLSConnectionState()
	if !ok || !state.HandshakeComplete || len(state.VerifiedChains) == 0 {
		t.Fatalf("TLS state ok=%v complete=%v verified chains=%d", ok, state.HandshakeComplete, len(state.VerifiedChains))
	}
}

func TestStartTLSSubmit(t *testing.T) {
	srvTLS, cliTLS := testTLS(t, "node.test")
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, func(o *Options) { o.TLSConfig = srvTLS })
	// Before TLS a loopback client is offered AUTH as before, and STARTTLS.
	plain := dial(t, address)
	if ok, _ := plain.Extension("STARTTLS"); !ok || !plain.SupportsAuth("PLAIN") || !plain.SupportsAuth("LOGIN") {
		t.Fatalf("a loopback client without TLS is not offered STARTTLS and AUTH PLAIN LOGIN")
	}
	c, err := smtp.DialStartTLS(address, cliTLS)
	if err != nil {
		t.Fatalf("dial with STARTTLS: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatalf("ehlo after STARTTLS: %v", err)
	}
	wantVerified(t, c)
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Errorf("STARTTLS offered again inside TLS")
	}
	if err := c.Auth(sasl.NewPlainClient("", local.String(), testPassword)); err != nil {
		t.Fatalf("auth plain inside TLS: %v", err)
	}
	msg := message("<"+local.String()+">", "over STARTTLS", "sealed\r\n")
	if err := send(c, local.String(), []string{alice.String()}, msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got := waitSubmissions(t, sub, 1)[0].body(t); !bytes.Equal(got, msg) {
		t.Fatalf("submitted %q, want %q", got, msg)
	}
}

func TestImplicitTLSSubmit(t *testing.T) {
	srvTLS, cliTLS := testTLS(t, "node.test")
	sub := newFileSubmitter(t)
	s := newServer(sub, func(o *Options) { o.TLSConfig = srvTLS })
	address := serveOn(t, s, s.ServeTLS, nil)
	c, err := smtp.DialTLS(address, cliTLS)
	if err != nil {
		t.Fatalf("dial TLS: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatalf("ehlo: %v", err)
	}
	wantVerified(t, c)
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Errorf("STARTTLS offered on a connection that runs TLS from the start")
	}
	if err := c.Auth(sasl.NewLoginClient(local.String(), testPassword)); err != nil {
		t.Fatalf("auth login: %v", err)
	}
	msg := message("<"+local.String()+">", "over TLS", "sealed from the first byte\r\n")
	if err := send(c, local.String(), []string{alice.String(), bob.String()}, msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	sub1 := waitSubmissions(t, sub, 1)[0]
	if got := sub1.body(t); !bytes.Equal(got, msg) || len(sub1.to) != 2 {
		t.Fatalf("submitted %q to %v, want %q to 2", got, sub1.to, msg)
	}

	// A client that does not trust the certificate does not get through.
	distrust := &tls.Config{ServerName: "node.test", RootCAs: x509.NewCertPool()}
	if c, err := smtp.DialTLS(address, distrust); err == nil {
		err = c.Hello("client.test")
		c.Close()
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("a client without the certificate in its roots got %v, want an unknown authority error", err)
		}
	}
}

func TestServeTLSNeedsCertificate(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	s := newServer(newFileSubmitter(t), nil)
	if err := s.ServeTLS(l); err == nil || !strings.Contains(err.Error(), "Options.TLSConfig is nil") {
		t.Fatalf("ServeTLS without TLSConfig returned %v", err)
	}
	s = newServer(newFileSubmitter(t), func(o *Options) { o.TLSConfig = &tls.Config{} })
	for name, serve := range map[string]func(net.Listener) error{"Serve": s.Serve, "ServeTLS": s.ServeTLS} {
		if err := serve(l); err == nil || !strings.Contains(err.Error(), "no certificate") {
			t.Errorf("%s with a TLSConfig without certificate returned %v", name, err)
		}
	}
}

// A client on another machine must start TLS before it may send its
// password; after STARTTLS it logs in and sends on the same connection.
func TestOtherMachineNeedsStartTLS(t *testing.T) {
	srvTLS, cliTLS := testTLS(t, "node.test")
	var logs testkit.Buffer
	sub := newFileSubmitter(t)
	s := newServer(sub, func(o *Options) {
		o.TLSConfig = srvTLS
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	address := serveOn(t, s, s.Serve, fromOtherMachine)
	r := dialRaw(t, address)
	if ehlo := r.cmd("EHLO client.test", 250, "STARTTLS"); strings.Contains(ehlo, "AUTH") {
		t.Fatalf("AUTH offered without TLS to a client on another machine:\n%s", ehlo)
	}
	for _, auth := range []string{"AUTH PLAIN " + plainIR(local.String(), testPassword), "AUTH LOGIN", "AUTH CRAM-MD5"} {
		if err := r.PrintfLine("%s", auth); err != nil {
			t.Fatalf("send %q: %v", auth, err)
		}
		if line, err := r.ReadLine(); err != nil || line != "530 5.7.0 Must issue a STARTTLS command first" {
			t.Fatalf("%s without TLS: got %q, %v", auth, line, err)
		}
	}
	r.cmd("MAIL FROM:<"+local.String()+">", 530, "5.7.0 authentication required")
	if n := strings.Count(logs.String(), "smtp AUTH refused without TLS"); n != 1 || !strings.Contains(logs.String(), "remote=192.0.2.7:1234") {
		t.Errorf("want one warning naming the client, logged:\n%s", logs.String())
	}

	r.startTLS(cliTLS)
	if ehlo := r.cmd("EHLO client.test", 250, "AUTH PLAIN LOGIN"); strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("STARTTLS offered again inside TLS:\n%s", ehlo)
	}
	r.cmd("AUTH PLAIN "+plainIR(local.String(), testPassword), 235, "")
	msg := message("<"+local.String()+">", "from the phone", "after STARTTLS\r\n")
	r.sendRaw(msg)
	if got := waitSubmissions(t, sub, 1)[0].body(t); !bytes.Equal(got, msg) {
		t.Fatalf("submitted %q, want %q", got, msg)
	}

	// The go-smtp client does the same.
	c, err := smtp.DialStartTLS(address, cliTLS)
	if err != nil {
		t.Fatalf("dial with STARTTLS: %v", err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", local.String(), testPassword)); err != nil {
		t.Fatalf("auth after STARTTLS: %v", err)
	}
	wantVerified(t, c)
}

// With Policy.AllowPlain a client on another machine may log in without
// TLS, as on loopback.
func TestOtherMachinePlainAllowed(t *testing.T) {
	srvTLS, _ := testTLS(t, "node.test")
	sub := newFileSubmitter(t)
	s := newServer(sub, func(o *Options) {
		o.TLSConfig = srvTLS
		o.Policy = clientsec.Policy{AllowPlain: true}
	})
	address := serveOn(t, s, s.Serve, fromOtherMachine)
	c := dial(t, address)
	if !c.SupportsAuth("PLAIN") {
		t.Fatalf("AUTH PLAIN not offered with AllowPlain")
	}
	if err := c.Auth(sasl.NewPlainClient("", local.String(), testPassword)); err != nil {
		t.Fatalf("auth without TLS, AllowPlain: %v", err)
	}
	msg := message("<"+local.String()+">", "plain", "b\r\n")
	if err := send(c, local.String(), []string{alice.String()}, msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got := waitSubmissions(t, sub, 1)[0].body(t); !bytes.Equal(got, msg) {
		t.Fatalf("submitted %q, want %q", got, msg)
	}
}

// Without a TLS configuration a client on another machine cannot log in
// at all, and is not told to use STARTTLS.
func TestOtherMachineWithoutTLS(t *testing.T) {
	s := newServer(newFileSubmitter(t), nil)
	address := serveOn(t, s, s.Serve, fromOtherMachine)
	r := dialRaw(t, address)
	if ehlo := r.cmd("EHLO client.test", 250, ""); strings.Contains(ehlo, "AUTH") || strings.Contains(ehlo, "STARTTLS") {
		t.Fatalf("EHLO offers AUTH or STARTTLS:\n%s", ehlo)
	}
	r.cmd("AUTH PLAIN "+plainIR(local.String(), testPassword), 530, "5.7.0 passwords are accepted only from this machine")
	r.cmd("STARTTLS", 502, "5.5.1")
}

// Plaintext a client (or someone on the way) sends after STARTTLS,
// before the handshake, must not be run inside TLS (CVE-2011-0411): the
// server would answer it there as if the client had sent it. go-smtp
// drops what it had read ahead when it starts TLS. Over net.Pipe the
// server reads the whole batch at once, as it would from one packet.
func TestStartTLSDropsPipelinedPlaintext(t *testing.T) {
	srvTLS, cliTLS := testTLS(t, "node.test")
	sub := newFileSubmitter(t)
	s := newServer(sub, func(o *Options) { o.TLSConfig = srvTLS })
	l := newPipeListener()
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := testkit.Receive(t, 5*time.Second, "Serve to return", served, nil); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close() })
	client.SetDeadline(time.Now().Add(30 * time.Second))
	select {
	case l.conns <- server:
	case <-time.After(5 * time.Second):
		t.Fatalf("the server did not accept the connection")
	}
	r := &rawConn{t: t, c: client, Conn: textproto.NewConn(client)}
	r.expect(220, "")

	injected := "EHLO client.test\r\nSTARTTLS\r\nEHLO evil.test\r\nAUTH PLAIN " + plainIR(local.String(), testPassword) +
		"\r\nMAIL FROM:<" + local.String() + ">\r\nRCPT TO:<" + alice.String() + ">\r\nDATA\r\n" +
		string(message(local.String(), "injected", "b\r\n")) + ".\r\n"
	if _, err := client.Write([]byte(injected)); err != nil {
		t.Fatalf("write: %v", err)
	}
	r.expect(250, "STARTTLS")
	r.expect(220, "")
	r.useTLS(tls.Client(client, cliTLS))
	// The first reply inside TLS answers the first command sent inside
	// it: neither the injected EHLO nor AUTH ran. (The command is written
	// while the reply is read: a server that ran them would be writing
	// their replies, and net.Pipe has no buffer.)
	written := make(chan error, 1)
	go func() { written <- r.PrintfLine("MAIL FROM:<%s>", local) }()
	r.expect(502, "introduce yourself")
	if err := <-written; err != nil {
		t.Fatalf("write MAIL: %v", err)
	}
	r.cmd("EHLO client.test", 250, "AUTH")
	r.cmd("MAIL FROM:<"+local.String()+">", 530, "5.7.0")
	r.cmd("AUTH PLAIN "+plainIR(local.String(), testPassword), 235, "")
	msg := message(local.String(), "inside TLS", "b\r\n")
	r.sendRaw(msg)
	r.cmd("QUIT", 221, "")
	subs := waitSubmissions(t, sub, 1)
	if len(subs) != 1 || !bytes.Equal(subs[0].body(t), msg) {
		t.Fatalf("%d messages submitted, the first %q; want only %q", len(subs), subs[0].body(t), msg)
	}
}

// A failed STARTTLS handshake leaves the connection without TLS, and a
// client on another machine still may not send its password there.
func TestFailedStartTLSStaysPlain(t *testing.T) {
	srvTLS, _ := testTLS(t, "node.test")
	s := newServer(newFileSubmitter(t), func(o *Options) { o.TLSConfig = srvTLS })
	address := serveOn(t, s, s.Serve, fromOtherMachine)
	r := dialRaw(t, address)
	r.cmd("EHLO client.test", 250, "STARTTLS")
	r.cmd("STARTTLS", 220, "")
	// Five bytes, one TLS record header, that is not a handshake.
	if _, err := r.c.Write([]byte("nope\n")); err != nil {
		t.Fatalf("write: %v", err)
	}
	r.expect(550, "5.0.0")
	if ehlo := r.cmd("EHLO client.test", 250, "STARTTLS"); strings.Contains(ehlo, "AUTH") {
		t.Fatalf("AUTH offered after a failed handshake:\n%s", ehlo)
	}
	r.cmd("AUTH PLAIN "+plainIR(local.String(), testPassword), 530, "5.7.0 Must issue a STARTTLS command first")
}

// The read timeout applies through TLS, and to the handshake itself.
func TestTLSIdleTimeout(t *testing.T) {
	srvTLS, cliTLS := testTLS(t, "node.test")
	s := newServer(newFileSubmitter(t), func(o *Options) {
		o.TLSConfig = srvTLS
		o.ReadTimeout = 200 * time.Millisecond
	})
	tlsAddress := serveOn(t, s, s.ServeTLS, nil)
	plainAddress := serveOn(t, s, s.Serve, nil)

	implicit := dialRawTLS(t, tlsAddress, cliTLS)
	starttls := dialRaw(t, plainAddress)
	starttls.cmd("EHLO client.test", 250, "")
	starttls.startTLS(cliTLS)
	// A client that connects and never starts its handshake is let go.
	silent, err := net.Dial("tcp", tlsAddress)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer silent.Close()
	silent.SetDeadline(time.Now().Add(10 * time.Second))

	implicit.expect(421, "4.4.2")
	starttls.expect(421, "4.4.2")
	if b, err := io.ReadAll(silent); err != nil || len(b) != 0 {
		t.Fatalf("silent client got %q, %v; want the connection closed", b, err)
	}
}

// MaxConnections counts plaintext and TLS connections together; above it
// a TLS connection is closed before its handshake.
func TestTLSConnectionLimit(t *testing.T) {
	srvTLS, cliTLS := testTLS(t, "node.test")
	s := newServer(newFileSubmitter(t), func(o *Options) {
		o.TLSConfig = srvTLS
		o.MaxConnections = 2
	})
	tlsAddress := serveOn(t, s, s.ServeTLS, nil)
	plainAddress := serveOn(t, s, s.Serve, nil)
	dialRaw(t, plainAddress)
	first := dialRawTLS(t, tlsAddress, cliTLS)

	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", tlsAddress, cliTLS)
	if err == nil {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	if err == nil {
		t.Fatalf("a third connection was served")
	}
	r, err := net.Dial("tcp", plainAddress)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer r.Close()
	r.SetDeadline(time.Now().Add(10 * time.Second))
	if b, _ := io.ReadAll(r); !strings.HasPrefix(string(b), "421 4.7.0 ") {
		t.Fatalf("a third plaintext connection got %q, want 421 4.7.0", b)
	}

	// The slot of a TLS connection is freed when it ends.
	first.cmd("QUIT", 221, "")
	testkit.WaitFor(t, 10*time.Second, "a TLS connection served after one closed", func() bool {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", tlsAddress, cliTLS)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line := make([]byte, 3)
		_, err = io.ReadFull(c, line)
		return err == nil && string(line) == "220"
	})
}

// Shutdown tells an idle TLS client, through TLS, and lets a message in
// transfer over TLS finish.
func TestTLSShutdownWaitsForMessageInTransfer(t *testing.T) {
	srvTLS, cliTLS := testTLS(t, "node.test")
	sub := &blockingSubmitter{entered: make(chan struct{}, 1), release: make(chan struct{})}
	s := newServer(sub, func(o *Options) { o.TLSConfig = srvTLS })
	plainAddress := serveOn(t, s, s.Serve, nil)
	tlsAddress := serveOn(t, s, s.ServeTLS, nil)
	idle := dialRaw(t, plainAddress)
	idle.cmd("EHLO client.test", 250, "")
	idle.startTLS(cliTLS)
	idle.login()

	c, err := smtp.DialTLS(tlsAddress, cliTLS)
	if err != nil {
		t.Fatalf("dial TLS: %v", err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", local.String(), testPassword)); err != nil {
		t.Fatalf("auth: %v", err)
	}
	shutDownDuringTransfer(t, s, sub, idle, c)
}

// enteredSubmitter tells when Submit starts, before it reads the body.
type enteredSubmitter struct {
	*fileSubmitter
	entered chan struct{}
}

func (e enteredSubmitter) Submit(ctx context.Context, from envelope.Address, to []envelope.Address, msg io.Reader) error {
	e.entered <- struct{}{}
	return e.fileSubmitter.Submit(ctx, from, to, msg)
}

// Shutdown does not cut off a message whose body is still arriving, with
// or without TLS, and then tells the client it is shutting down.
func TestShutdownLetsUploadFinish(t *testing.T) {
	for _, implicitTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "TLS"}[implicitTLS], func(t *testing.T) {
			srvTLS, cliTLS := testTLS(t, "node.test")
			sub := enteredSubmitter{newFileSubmitter(t), make(chan struct{}, 1)}
			s := newServer(sub, func(o *Options) { o.TLSConfig = srvTLS })
			var r *rawConn
			var address string
			if implicitTLS {
				address = serveOn(t, s, s.ServeTLS, nil)
				r = dialRawTLS(t, address, cliTLS)
			} else {
				address = serveOn(t, s, s.Serve, nil)
				r = dialRaw(t, address)
			}
			r.login()
			r.cmd("MAIL FROM:<"+local.String()+">", 250, "")
			r.cmd("RCPT TO:<"+alice.String()+">", 250, "")
			r.cmd("DATA", 354, "")
			// go-smtp fills the header reader's 32 KiB buffer before
			// Submit starts: the first half is more than that.
			msg := message(local.String(), "in transfer", strings.Repeat("a line of the body\r\n", 8000))
			half := len(msg) / 2
			if _, err := r.c.Write(msg[:half]); err != nil {
				t.Fatalf("write: %v", err)
			}
			testkit.Receive(t, 10*time.Second, "Submit to start", sub.entered, nil)

			shut := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				shut <- s.Shutdown(ctx)
			}()
			// Shutdown closes the listener after it has told every
			// connection: from then on the rest of the body arrives
			// during the shutdown.
			testkit.WaitFor(t, 10*time.Second, "the listener to close", func() bool {
				c, err := net.Dial("tcp", address)
				if err == nil {
					c.Close()
				}
				return err != nil
			})
			if _, err := r.c.Write(append(msg[half:], ".\r\n"...)); err != nil {
				t.Fatalf("write the rest: %v", err)
			}
			r.expect(250, "")
			r.expect(421, "4.3.2")
			if got := waitSubmissions(t, sub.fileSubmitter, 1)[0].body(t); !bytes.Equal(got, msg) {
				t.Fatalf("submitted %q, want %q", got, msg)
			}
			if err := testkit.Receive(t, 10*time.Second, "Shutdown to return", shut, nil); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
		})
	}
}

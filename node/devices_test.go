package node_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
)

// device is one of the user's mail clients, logged in over IMAPS, that
// keeps what the server tells it unasked.
type device struct {
	name string
	c    *imapclient.Client

	mu      sync.Mutex
	exists  uint32
	flagged bool
}

func (d *device) seen() (uint32, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exists, d.flagged
}

// connectDevice logs in to the node's IMAPS listener, trusting roots.
func connectDevice(t *testing.T, n *nodetest.Node, name string, roots *x509.CertPool) *device {
	t.Helper()
	d := &device{name: name}
	handler := &imapclient.UnilateralDataHandler{
		Mailbox: func(data *imapclient.UnilateralDataMailbox) {
			if data.NumMessages != nil {
				d.mu.Lock()
				d.exists = *data.NumMessages
				d.mu.Unlock()
			}
		},
		Fetch: func(msg *imapclient.FetchMessageData) {
			buf, err := msg.Collect()
			if err == nil && buf.Flags != nil {
				d.mu.Lock()
				d.flagged = slices.Contains(buf.Flags, imap.FlagFlagged)
				d.mu.Unlock()
			}
		},
	}
	c, err := imapclient.DialTLS(n.IMAPSAddr, &imapclient.Options{
		TLSConfig:             &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"},
		UnilateralDataHandler: handler,
	})
	if err != nil {
		t.Fatalf("%s: dial IMAPS: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(n.Addr.String(), nodetest.Password).Wait(); err != nil {
		t.Fatalf("%s: login: %v", name, err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("%s: select: %v", name, err)
	}
	d.c = c
	return d
}

// TestSeveralDevicesOnOneMailbox: a phone, a laptop and a desktop read one
// mailbox over IMAPS at once, each in IDLE. New mail shows on all three at
// once; a flag the laptop sets shows on the other two.
func TestSeveralDevicesOnOneMailbox(t *testing.T) {
	t.Parallel()
	n := nodetest.Start(t, "alice", nodetest.Options{TLS: true})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(n.Node.TLSCertificatePEM())
	devices := []*device{connectDevice(t, n, "phone", roots), connectDevice(t, n, "laptop", roots), connectDevice(t, n, "desktop", roots)}
	idles := make([]*imapclient.IdleCommand, len(devices))
	for i, d := range devices {
		cmd, err := d.c.Idle()
		if err != nil {
			t.Fatalf("%s: idle: %v", d.name, err)
		}
		idles[i] = cmd
	}

	n.MustSend(n.Addr, nodetest.Message(n.Addr, n.Addr, "to every device", "hello\r\n"))
	for _, d := range devices {
		testkit.WaitFor(t, 10*time.Second, d.name+" to see the new message while idling", func() bool {
			exists, _ := d.seen()
			return exists == 1
		})
	}

	laptop := devices[1]
	if err := idles[1].Close(); err != nil {
		t.Fatal(err)
	}
	if err := idles[1].Wait(); err != nil {
		t.Fatal(err)
	}
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}, Silent: true}
	if err := laptop.c.Store(imap.SeqSetNum(1), store, nil).Close(); err != nil {
		t.Fatalf("laptop: store \\Flagged: %v", err)
	}
	for _, d := range []*device{devices[0], devices[2]} {
		testkit.WaitFor(t, 10*time.Second, d.name+" to see the laptop's flag while idling", func() bool {
			_, flagged := d.seen()
			return flagged
		})
	}
	for i, cmd := range idles {
		if i != 1 {
			cmd.Close()
		}
	}
}

// TestReloadTLSTakesTheRenewedCertificate: with the user's certificate
// files, ReloadTLS (what SIGHUP does) makes new connections meet the new
// certificate, while a session opened before goes on.
func TestReloadTLSTakesTheRenewedCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(cert, key []byte) {
		t.Helper()
		if err := os.WriteFile(certFile, cert, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	oldCert, oldKey := testkit.SelfSignedCert(t, "127.0.0.1")
	write(oldCert, oldKey)
	n := nodetest.Start(t, "alice", nodetest.Options{TLS: true, Tweak: func(c *node.Config) {
		c.TLSCertFile, c.TLSKeyFile = certFile, keyFile
	}})
	served := func() []byte {
		t.Helper()
		conn, err := tls.Dial("tcp", n.IMAPSAddr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Raw
	}
	pool := func(pem []byte) *x509.CertPool { p := x509.NewCertPool(); p.AppendCertsFromPEM(pem); return p }
	if !bytes.Equal(served(), certDER(t, oldCert)) {
		t.Fatal("the node does not serve the certificate from -tls-cert")
	}
	before := connectDevice(t, n, "before", pool(oldCert))

	newCert, newKey := testkit.SelfSignedCert(t, "127.0.0.1")
	write(newCert, newKey)
	if err := n.Node.ReloadTLS(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if !bytes.Equal(served(), certDER(t, newCert)) {
		t.Error("after ReloadTLS new connections still meet the old certificate")
	}
	if n.Node.TLSFingerprint() == "" || !bytes.Equal(n.Node.TLSCertificatePEM(), newCert) {
		t.Errorf("the node reports another certificate than the renewed one")
	}
	if err := before.c.Noop().Wait(); err != nil {
		t.Errorf("the session opened before the reload ended: %v", err)
	}
	connectDevice(t, n, "after", pool(newCert))

	// A broken renewal keeps the certificate in service.
	write([]byte("not a certificate"), newKey)
	if err := n.Node.ReloadTLS(); err == nil {
		t.Error("ReloadTLS took a file that holds no certificate")
	}
	if !bytes.Equal(served(), certDER(t, newCert)) {
		t.Error("a failed reload changed the certificate in service")
	}
}

// certDER is the DER of the first certificate in certPEM.
func certDER(t *testing.T, certPEM []byte) []byte {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("no PEM block")
	}
	return block.Bytes
}

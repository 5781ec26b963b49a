package main

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/account"
)

// checkLink asserts that the dclogin: link printed in out has the wanted
// parameters, and none of those in absent.
func checkLink(t *testing.T, out string, want map[string]string, absent ...string) {
	t.Helper()
	link := dcloginLine(t, out)
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("parse %q: %v", link, err)
	}
	q := u.Query()
	for key, val := range want {
		if q.Get(key) != val {
			t.Errorf("parameter %s = %q, want %q (link %s)", key, q.Get(key), val, link)
		}
	}
	for _, key := range absent {
		if q.Has(key) {
			t.Errorf("link %s has parameter %s", link, key)
		}
	}
}

// readSetupFiles returns the profile and the autoconfig file -setup wrote
// into dir, failing the test unless both are there.
func readSetupFiles(t *testing.T, dir string) (profile, autoconfig []byte) {
	t.Helper()
	profile, err := os.ReadFile(filepath.Join(dir, profileFile))
	if err != nil {
		t.Fatal(err)
	}
	autoconfig, err = os.ReadFile(filepath.Join(dir, account.AutoconfigFile))
	if err != nil {
		t.Fatal(err)
	}
	return profile, autoconfig
}

func TestSetupPrintsAndWritesForHost(t *testing.T) {
	db, dir := t.TempDir()+"/alice.db", t.TempDir()+"/profiles"
	const pw = "a&b=c 1+1%"
	if code, _, errs := runCmd(t, pw+"\n", "-database", db, "-password"); code != exitOK {
		t.Fatalf("-password exit %d, stderr %q", code, errs)
	}
	code, out, errs := runCmd(t, pw+"\n", "-database", db, "-imaps", "0.0.0.0:993", "-submissions", "0.0.0.0:465",
		"-setup", "mail.example.org", "-setup-dir", dir)
	if code != exitOK {
		t.Fatalf("-setup exit %d, stderr %q", code, errs)
	}
	_, fingerprint, _ := runCmd(t, "", "-database", db, "-tls-fingerprint")
	fingerprint = strings.TrimSpace(fingerprint)
	if len(fingerprint) != 32*3-1 {
		t.Fatalf("-tls-fingerprint printed %q", fingerprint)
	}
	for _, want := range []string{
		"IMAP server            mail.example.org port 993, security TLS\n",
		"SMTP server            mail.example.org port 465, security TLS\n",
		"Password               (the password you set)\n",
		fingerprint,
		"▀",
		filepath.Join(dir, profileFile) + "\n",
		filepath.Join(dir, account.AutoconfigFile) + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The node's certificate is self-signed: Delta Chat is told to accept
	// it, and the profile carries it.
	checkLink(t, out, map[string]string{"p": pw, "ih": "mail.example.org", "ip": "993", "is": "ssl",
		"sh": "mail.example.org", "sp": "465", "ss": "ssl", "ic": "3", "sc": "3"})

	profile, autoconfig := readSetupFiles(t, dir)
	var doc struct {
		Servers []struct {
			Hostname   string `xml:"hostname"`
			Port       int    `xml:"port"`
			SocketType string `xml:"socketType"`
		} `xml:"emailProvider>incomingServer"`
	}
	if err := xml.Unmarshal(autoconfig, &doc); err != nil || len(doc.Servers) != 1 ||
		doc.Servers[0].Hostname != "mail.example.org" || doc.Servers[0].Port != 993 || doc.Servers[0].SocketType != "SSL" {
		t.Errorf("autoconfig incoming servers %+v (error %v), want mail.example.org 993 SSL:\n%s", doc.Servers, err, autoconfig)
	}
	if !bytes.Contains(profile, []byte("<string>com.apple.mail.managed</string>")) ||
		!bytes.Contains(profile, []byte("com.apple.security.root")) {
		t.Errorf("profile lacks the mail payload or the certificate:\n%s", profile)
	}
	for name, data := range map[string][]byte{"profile": profile, "autoconfig": autoconfig} {
		if bytes.Contains(data, []byte("a&b=c")) || bytes.Contains(data, []byte("a&amp;b=c")) {
			t.Errorf("the %s holds the password", name)
		}
	}
}

func TestSetupRefusesBeforeWriting(t *testing.T) {
	db := t.TempDir() + "/alice.db"
	runCmd(t, "s3cret\n", "-database", db, "-password")
	for name, c := range map[string]struct {
		stdin string
		args  []string
		says  string
	}{
		"host with a port": {"s3cret\n", []string{"-setup", "mail.example.org:993"}, "without a port"},
		"a URL":            {"s3cret\n", []string{"-setup", "imaps://mail.example.org"}, "without a port"},
		"unspecified IP":   {"s3cret\n", []string{"-setup", "0.0.0.0"}, "unspecified"},
		"wrong password":   {"s3cret!\n", []string{"-setup", "mail.example.org"}, "wrong password"},
	} {
		dir := t.TempDir()
		code, out, errs := runCmd(t, c.stdin, append([]string{"-database", db, "-setup-dir", dir}, c.args...)...)
		if code != exitUsage || out != "" || !strings.Contains(errs, "-setup") || !strings.Contains(errs, c.says) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, nothing printed and a reason", name, code, out, errs, exitUsage)
		}
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Errorf("%s: wrote %v", name, files)
		}
	}
}

// TestSetupPortsFollowListeners covers the choice of servers: TLS from
// the first byte where the node has those listeners, else STARTTLS on
// the IMAP and SMTP ones.
func TestSetupPortsFollowListeners(t *testing.T) {
	access, err := tlsListeners{IMAPS: "0.0.0.0:10993", IMAP: "127.0.0.1:1143", SMTP: ":1587"}.access("h.example")
	if err != nil {
		t.Fatal(err)
	}
	wantIMAP := account.Server{Host: "h.example", Port: 10993, Security: account.TLS}
	wantSMTP := account.Server{Host: "h.example", Port: 1587, Security: account.StartTLS}
	if access.IMAP != wantIMAP || access.SMTP != wantSMTP {
		t.Errorf("servers %+v and %+v, want %+v and %+v", access.IMAP, access.SMTP, wantIMAP, wantSMTP)
	}
	_, err = tlsListeners{IMAPS: ":993", Submissions: ":0"}.access("h.example")
	if err == nil || !strings.Contains(err.Error(), "-submissions") {
		t.Errorf("submissions on port 0: error %v, want one naming -submissions", err)
	}
}

// setupWith runs writeSetup for a fixed account on TLS ports with the
// certificate in access, and returns what it printed and the profile.
func setupWith(t *testing.T, access remoteAccess) (out string, profile []byte, err error) {
	t.Helper()
	dir := t.TempDir()
	access.IMAP = account.Server{Host: "10.0.0.1", Port: 993, Security: account.TLS}
	access.SMTP = account.Server{Host: "10.0.0.1", Port: 465, Security: account.TLS}
	var b bytes.Buffer
	if err := writeSetup(&b, dir, envelope.Address{7}, "pw", access); err != nil {
		return b.String(), nil, err
	}
	profile, _ = readSetupFiles(t, dir)
	return b.String(), profile, nil
}

func TestSetupWithSelfSignedCertificate(t *testing.T) {
	certPEM, _ := testkit.SelfSignedCert(t, "10.0.0.1")
	out, profile, err := setupWith(t, remoteAccess{Certificate: certPEM})
	if err != nil {
		t.Fatal(err)
	}
	checkLink(t, out, map[string]string{"ic": "3", "sc": "3"})
	if !strings.Contains(out, "Certificate SHA-256    ") || !strings.Contains(out, "Certificate Trust Settings") {
		t.Errorf("output lacks the fingerprint or the trust hint:\n%s", out)
	}
	if !bytes.Contains(profile, []byte("<string>com.apple.security.root</string>")) {
		t.Errorf("profile lacks the root certificate:\n%s", profile)
	}
}

func TestSetupWithIssuedCertificate(t *testing.T) {
	caPEM, caKeyPEM := testkit.SelfSignedCert(t, "ca.example")
	certPEM, _ := testkit.IssuedCert(t, "10.0.0.1", caPEM, caKeyPEM)
	out, profile, err := setupWith(t, remoteAccess{Certificate: certPEM})
	if err != nil {
		t.Fatal(err)
	}
	checkLink(t, out, map[string]string{"ic": "1", "sc": "1"})
	if !strings.Contains(out, "Certificate SHA-256    ") || strings.Contains(out, "Certificate Trust Settings") {
		t.Errorf("output lacks the fingerprint or has the trust hint:\n%s", out)
	}
	if bytes.Contains(profile, []byte("com.apple.security.root")) {
		t.Errorf("profile carries a certificate from an authority:\n%s", profile)
	}
}

func TestSetupRefusesMismatchedFingerprint(t *testing.T) {
	certPEM, _ := testkit.SelfSignedCert(t, "10.0.0.1")
	out, _, err := setupWith(t, remoteAccess{Certificate: certPEM, CertificateSHA256: make([]byte, 32)})
	if err == nil || out != "" {
		t.Errorf("fingerprint of another certificate: error %v, output %q; want an error and nothing printed", err, out)
	}
}

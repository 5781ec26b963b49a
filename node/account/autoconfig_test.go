package account_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/account"
)

// clientConfig is what a reader of Thunderbird's autoconfig format takes
// from a file, written apart from the package's own types.
type clientConfig struct {
	XMLName  xml.Name `xml:"clientConfig"`
	Version  string   `xml:"version,attr"`
	Provider struct {
		ID       string             `xml:"id,attr"`
		Domains  []string           `xml:"domain"`
		Incoming []autoconfigServer `xml:"incomingServer"`
		Outgoing []autoconfigServer `xml:"outgoingServer"`
	} `xml:"emailProvider"`
}

type autoconfigServer struct {
	Type           string  `xml:"type,attr"`
	Hostname       string  `xml:"hostname"`
	Port           int     `xml:"port"`
	SocketType     string  `xml:"socketType"`
	Username       string  `xml:"username"`
	Authentication string  `xml:"authentication"`
	Password       *string `xml:"password"`
}

// readAutoconfig parses file with encoding/xml, failing the test unless
// it is one provider for the domain yggmail with one server each way.
func readAutoconfig(t *testing.T, file []byte) (in, out autoconfigServer) {
	t.Helper()
	if !bytes.HasPrefix(file, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("file does not start with an XML declaration:\n%s", file)
	}
	var doc clientConfig
	if err := xml.Unmarshal(file, &doc); err != nil {
		t.Fatalf("parse autoconfig: %v\n%s", err, file)
	}
	p := doc.Provider
	if doc.Version != "1.1" || p.ID != "yggmail" || len(p.Domains) != 1 || p.Domains[0] != "yggmail" {
		t.Errorf("version %q, provider %q, domains %q; want 1.1, yggmail, [yggmail]", doc.Version, p.ID, p.Domains)
	}
	if len(p.Incoming) != 1 || len(p.Outgoing) != 1 {
		t.Fatalf("%d incoming and %d outgoing servers, want one each:\n%s", len(p.Incoming), len(p.Outgoing), file)
	}
	return p.Incoming[0], p.Outgoing[0]
}

func TestAutoconfigServers(t *testing.T) {
	s := remoteSettings("node.example", "hunter2")
	file, err := s.Autoconfig()
	if err != nil {
		t.Fatal(err)
	}
	in, out := readAutoconfig(t, file)
	wantIn := autoconfigServer{Type: "imap", Hostname: "node.example", Port: 993, SocketType: "SSL",
		Username: "%EMAILADDRESS%", Authentication: "password-cleartext"}
	wantOut := autoconfigServer{Type: "smtp", Hostname: "node.example", Port: 587, SocketType: "STARTTLS",
		Username: "%EMAILADDRESS%", Authentication: "password-cleartext"}
	if in != wantIn {
		t.Errorf("incoming server %+v, want %+v", in, wantIn)
	}
	if out != wantOut {
		t.Errorf("outgoing server %+v, want %+v", out, wantOut)
	}
	if bytes.Contains(file, []byte("hunter2")) {
		t.Error("the autoconfig file holds the password")
	}
}

func TestAutoconfigPlainAndEscapes(t *testing.T) {
	const host = `<h>&amp;"'</hostname>]]>`
	s := remoteSettings(host, "pw")
	s.IMAP.Security, s.SMTP.Security = account.Plain, account.TLS
	file, err := s.Autoconfig()
	if err != nil {
		t.Fatal(err)
	}
	in, out := readAutoconfig(t, file)
	if in.Hostname != host || out.Hostname != host {
		t.Errorf("host names read back as %q and %q, want %q", in.Hostname, out.Hostname, host)
	}
	if in.SocketType != "plain" || out.SocketType != "SSL" {
		t.Errorf("socket types %q and %q, want plain and SSL", in.SocketType, out.SocketType)
	}
}

func TestAutoconfigRefusesIncompleteSettings(t *testing.T) {
	for name, edit := range map[string]func(*account.Settings){
		"no address":            func(s *account.Settings) { s.Address = envelope.Address{} },
		"no IMAP host":          func(s *account.Settings) { s.IMAP.Host = "" },
		"no SMTP port":          func(s *account.Settings) { s.SMTP.Port = 0 },
		"host XML cannot carry": func(s *account.Settings) { s.IMAP.Host = "a\x1fb" },
		"unknown security":      func(s *account.Settings) { s.SMTP.Security = 4 },
	} {
		s := remoteSettings("node.example", "pw")
		edit(&s)
		if file, err := s.Autoconfig(); err == nil || !strings.HasPrefix(err.Error(), "account settings: ") {
			t.Errorf("%s: got %d bytes, error %v; want an account settings error", name, len(file), err)
		}
	}
	s := remoteSettings("node.example", "")
	if _, err := s.Autoconfig(); err != nil {
		t.Errorf("no password, which the file never holds: %v", err)
	}
}

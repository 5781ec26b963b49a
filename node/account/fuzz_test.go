package account_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/account"
)

// FuzzDCLogin builds links from arbitrary settings: the builder either
// refuses them or returns a link that parses back to the same values.
func FuzzDCLogin(f *testing.F) {
	f.Add("hunter2", "localhost", uint16(1143), "localhost", uint16(1025), uint8(0))
	f.Add("a&b=c%d+e f", "::1", uint16(993), "mail.example.org", uint16(587), uint8(2))
	f.Add("ключ#?/;", "", uint16(0), "h", uint16(1), uint8(9))
	f.Add("p", "node.example", uint16(993), "node.example", uint16(465), uint8(2*16+1*4+1))
	f.Fuzz(func(t *testing.T, pw, imapHost string, imapPort uint16, smtpHost string, smtpPort uint16, sec uint8) {
		s := settings(pw)
		s.IMAP = account.Server{Host: imapHost, Port: imapPort, Security: account.Security(sec % 4)}
		s.SMTP = account.Server{Host: smtpHost, Port: smtpPort, Security: account.Security(sec / 4 % 4)}
		s.CertificateChecks = account.CertificateChecks(sec / 16 % 4)
		link, err := s.DCLogin()
		valid := pw != "" && utf8.ValidString(pw) &&
			imapHost != "" && imapPort != 0 && utf8.ValidString(imapHost) && sec%4 < 3 &&
			smtpHost != "" && smtpPort != 0 && utf8.ValidString(smtpHost) && sec/4%4 < 3 &&
			sec/16%4 < 3
		if (err == nil) != valid {
			t.Fatalf("settings %+v: error %v, want an error: %v", s, err, !valid)
		}
		if err == nil {
			checkRoundTrip(t, s, link)
		}
	})
}

// FuzzParseCertificate feeds arbitrary bytes to ParseCertificate: it
// either refuses them or returns a certificate whose DER reads back as
// the same certificate.
func FuzzParseCertificate(f *testing.F) {
	certPEM, keyPEM := testkit.SelfSignedCert(f, "node.example")
	f.Add(certPEM)
	f.Add(append(append([]byte{}, keyPEM...), certPEM...))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{0x30, 0x82, 0x01})
	f.Fuzz(func(t *testing.T, input []byte) {
		cert, err := account.ParseCertificate(input)
		if err != nil {
			return
		}
		again, err := account.ParseCertificate(cert.Raw)
		if err != nil || !bytes.Equal(again.Raw, cert.Raw) {
			t.Fatalf("certificate read from %q does not read back from its DER: %v", input, err)
		}
	})
}

// plistStrings returns the text of every <string> in a property list,
// read with encoding/xml, in order.
func plistStrings(t *testing.T, profile []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(profile))
	var out []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read profile: %v\n%s", err, profile)
		}
		if start, ok := tok.(xml.StartElement); ok && start.Name.Local == "string" {
			var text string
			if err := dec.DecodeElement(&text, &start); err != nil {
				t.Fatalf("read <string>: %v", err)
			}
			out = append(out, text)
		}
	}
}

// FuzzXMLForms writes the profile and the autoconfig file for arbitrary
// host names and passwords: each is refused, or reads back with the host
// and the password exactly as given.
func FuzzXMLForms(f *testing.F) {
	f.Add("node.example", "hunter2")
	f.Add(`<h>&amp;"'`, "]]>\r\n\t<")
	f.Add("a\x00b", "\uFFFE")
	f.Fuzz(func(t *testing.T, host, pw string) {
		s := remoteSettings(host, pw)
		if file, err := s.Autoconfig(); err == nil {
			in, out := readAutoconfig(t, file)
			if in.Hostname != host || out.Hostname != host {
				t.Fatalf("host %q reads back as %q and %q", host, in.Hostname, out.Hostname)
			}
		}
		profile, err := s.MobileConfig(account.MobileConfigOptions{IncludePassword: true})
		if err != nil {
			return
		}
		hosts, pws := 0, 0
		for _, text := range plistStrings(t, profile) {
			if text == host {
				hosts++
			}
			if text == pw {
				pws++
			}
		}
		if hosts < 2 || pws < 2 {
			t.Fatalf("host %q found %d times, password %q %d times; want both twice:\n%s", host, hosts, pw, pws, profile)
		}
	})
}

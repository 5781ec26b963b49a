package account_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/account"
)

// testAddress is a fixed, well-formed Yggpost address.
var testAddress = envelope.Address{1, 2, 3, 0xfe}

func settings(password string) account.Settings {
	return account.Settings{
		Address:  testAddress,
		Password: password,
		IMAP:     account.Server{Host: "localhost", Port: 1143, Security: account.Plain},
		SMTP:     account.Server{Host: "localhost", Port: 1025, Security: account.Plain},
	}
}

// parseDCLogin reads a dclogin: link back with net/url, failing the test
// unless it has the scheme, an address and a query that parses.
func parseDCLogin(t *testing.T, link string) (addr string, q url.Values) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("parse %q: %v", link, err)
	}
	if u.Scheme != "dclogin" || u.Opaque == "" {
		t.Fatalf("link %q: scheme %q, opaque part %q; want dclogin:ADDRESS", link, u.Scheme, u.Opaque)
	}
	q, err = url.ParseQuery(u.RawQuery)
	if err != nil {
		t.Fatalf("query of %q: %v", link, err)
	}
	return u.Opaque, q
}

// dcChecks is the value of the ic and sc parameters for each
// CertificateChecks that writes them.
var dcChecks = map[account.CertificateChecks]string{account.ChecksStrict: "1", account.ChecksAcceptInvalid: "3"}

// checkRoundTrip asserts that link carries exactly what s holds.
func checkRoundTrip(t *testing.T, s account.Settings, link string) {
	t.Helper()
	addr, q := parseDCLogin(t, link)
	if addr != s.Address.String() {
		t.Errorf("address %q, want %q", addr, s.Address)
	}
	sec := map[account.Security]string{account.Plain: "plain", account.TLS: "ssl", account.StartTLS: "starttls"}
	want := url.Values{
		"p": {s.Password}, "v": {"1"},
		"ih": {s.IMAP.Host}, "ip": {strconv.Itoa(int(s.IMAP.Port))}, "is": {sec[s.IMAP.Security]},
		"sh": {s.SMTP.Host}, "sp": {strconv.Itoa(int(s.SMTP.Port))}, "ss": {sec[s.SMTP.Security]},
	}
	if checks := dcChecks[s.CertificateChecks]; checks != "" {
		want["ic"], want["sc"] = []string{checks}, []string{checks}
	}
	if len(q) != len(want) {
		t.Errorf("link %q has parameters %v, want exactly %v", link, q, want)
	}
	for key, vals := range want {
		if len(q[key]) != 1 || q[key][0] != vals[0] {
			t.Errorf("parameter %s = %q, want [%q]", key, q[key], vals[0])
		}
	}
}

func TestDCLoginPlainLoopback(t *testing.T) {
	s := settings("hunter2")
	link, err := s.DCLogin()
	if err != nil {
		t.Fatal(err)
	}
	want := "dclogin:" + testAddress.String() + "?p=hunter2&v=1&ih=localhost&ip=1143&is=plain&sh=localhost&sp=1025&ss=plain"
	if link != want {
		t.Errorf("link\n%s\nwant\n%s", link, want)
	}
	checkRoundTrip(t, s, link)
}

// TestDCLoginEscapesPassword covers the characters that would cut the
// query short or change its meaning if written as they are.
func TestDCLoginEscapesPassword(t *testing.T) {
	for _, pw := range []string{"a&b=c", "100%", "1+1 2", "pass word", "ümlaut ключ 密码", "#frag?q;x/", `"'<>\`, "tab\tnewline\n"} {
		s := settings(pw)
		link, err := s.DCLogin()
		if err != nil {
			t.Fatalf("password %q: %v", pw, err)
		}
		if strings.ContainsAny(link, " #\t\n") || strings.Count(link, "?") != 1 {
			t.Errorf("password %q: link %q holds an unescaped separator", pw, link)
		}
		checkRoundTrip(t, s, link)
	}
}

func TestDCLoginSecurityAndHosts(t *testing.T) {
	s := settings("x")
	s.IMAP = account.Server{Host: "::1", Port: 993, Security: account.TLS}
	s.SMTP = account.Server{Host: "mail.example.org", Port: 587, Security: account.StartTLS}
	link, err := s.DCLogin()
	if err != nil {
		t.Fatal(err)
	}
	checkRoundTrip(t, s, link)
}

// TestDCLoginCertificateChecks covers the ic and sc parameters: written
// after the servers, both with the same value, and not at all by default
// so that a link for the loopback listeners stays as it was.
func TestDCLoginCertificateChecks(t *testing.T) {
	s := settings("x")
	s.IMAP = account.Server{Host: "node.example", Port: 993, Security: account.TLS}
	s.SMTP = account.Server{Host: "node.example", Port: 465, Security: account.TLS}
	plain, err := s.DCLogin()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, "ic=") || strings.Contains(plain, "sc=") {
		t.Errorf("default checks: link %q carries certificate checks", plain)
	}
	for checks, suffix := range map[account.CertificateChecks]string{
		account.ChecksStrict:        "&ic=1&sc=1",
		account.ChecksAcceptInvalid: "&ic=3&sc=3",
	} {
		s.CertificateChecks = checks
		link, err := s.DCLogin()
		if err != nil {
			t.Fatal(err)
		}
		if link != plain+suffix {
			t.Errorf("checks %d: link\n%s\nwant\n%s", checks, link, plain+suffix)
		}
		checkRoundTrip(t, s, link)
	}
}

func TestDCLoginRefusesIncompleteSettings(t *testing.T) {
	for name, edit := range map[string]func(*account.Settings){
		"no password":        func(s *account.Settings) { s.Password = "" },
		"no address":         func(s *account.Settings) { s.Address = envelope.Address{} },
		"no IMAP host":       func(s *account.Settings) { s.IMAP.Host = "" },
		"no SMTP port":       func(s *account.Settings) { s.SMTP.Port = 0 },
		"unknown security":   func(s *account.Settings) { s.SMTP.Security = 7 },
		"password not UTF-8": func(s *account.Settings) { s.Password = "\xff" },
		"unknown checks":     func(s *account.Settings) { s.CertificateChecks = 3 },
	} {
		s := settings("pw")
		edit(&s)
		if link, err := s.DCLogin(); err == nil {
			t.Errorf("%s: got link %q, want an error", name, link)
		}
	}
}

var passwordForm = regexp.MustCompile(`^[a-z2-7]{4}(-[a-z2-7]{4}){7}$`)

func TestNewPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		pw := account.NewPassword()
		if !passwordForm.MatchString(pw) {
			t.Fatalf("password %q is not eight groups of four base32 letters", pw)
		}
		if seen[pw] {
			t.Fatalf("password %q came twice", pw)
		}
		seen[pw] = true
		if esc := url.QueryEscape(pw); esc != pw {
			t.Errorf("password %q needs escaping in a link: %q", pw, esc)
		}
	}
}

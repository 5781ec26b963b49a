package account_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/account"
)

// plistToJSON is a Python program that reads a property list on stdin
// with plistlib and writes it as JSON, <data> as base64.
const plistToJSON = `
import base64, json, plistlib, sys
def data(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value))
json.dump(plistlib.loads(sys.stdin.buffer.read(), fmt=plistlib.FMT_XML), sys.stdout, default=data)
`

// readPlist parses profile with Python's plistlib, a property list reader
// that shares no code with the writer, and returns the top dictionary.
// The test is skipped where python3 is missing.
func readPlist(t *testing.T, profile []byte) map[string]any {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: no plist parser to check the profile with")
	}
	cmd := exec.Command(python, "-c", plistToJSON)
	cmd.Stdin = bytes.NewReader(profile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("plistlib refused the profile: %v\n%s\nprofile:\n%s", err, stderr.String(), profile)
	}
	var top map[string]any
	if err := json.Unmarshal(out, &top); err != nil {
		t.Fatalf("read plistlib's JSON: %v", err)
	}
	return top
}

// payloads returns the profile's payloads by type.
func payloads(t *testing.T, top map[string]any) map[string]map[string]any {
	t.Helper()
	list, ok := top["PayloadContent"].([]any)
	if !ok {
		t.Fatalf("PayloadContent is %T, want an array", top["PayloadContent"])
	}
	byType := map[string]map[string]any{}
	for _, p := range list {
		d := p.(map[string]any)
		byType[d["PayloadType"].(string)] = d
	}
	if len(byType) != len(list) {
		t.Fatalf("payload types repeat: %v", list)
	}
	return byType
}

// checkFields asserts that d holds want's keys with want's values (JSON
// numbers are float64).
func checkFields(t *testing.T, what string, d, want map[string]any) {
	t.Helper()
	for key, val := range want {
		if d[key] != val {
			t.Errorf("%s: %s = %#v, want %#v", what, key, d[key], val)
		}
	}
}

var uuidV8 = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)

func TestMobileConfigMailPayload(t *testing.T) {
	s := remoteSettings("node.example", "hunter2")
	profile, err := s.MobileConfig(account.MobileConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	top := readPlist(t, profile)
	id := "yggpost." + testAddress.Hex()[:16]
	checkFields(t, "profile", top, map[string]any{
		"PayloadType": "Configuration", "PayloadVersion": 1.0, "PayloadIdentifier": id,
	})
	byType := payloads(t, top)
	if len(byType) != 1 {
		t.Fatalf("payloads %v, want the mail payload alone", byType)
	}
	mail := byType["com.apple.mail.managed"]
	addr := testAddress.String()
	checkFields(t, "mail payload", mail, map[string]any{
		"PayloadVersion":                         1.0,
		"PayloadIdentifier":                      id + ".mail",
		"EmailAccountType":                       "EmailTypeIMAP",
		"EmailAddress":                           addr,
		"IncomingMailServerAuthentication":       "EmailAuthPassword",
		"IncomingMailServerHostName":             "node.example",
		"IncomingMailServerPortNumber":           993.0,
		"IncomingMailServerUseSSL":               true,
		"IncomingMailServerUsername":             addr,
		"OutgoingMailServerAuthentication":       "EmailAuthPassword",
		"OutgoingMailServerHostName":             "node.example",
		"OutgoingMailServerPortNumber":           587.0,
		"OutgoingMailServerUseSSL":               true,
		"OutgoingMailServerUsername":             addr,
		"OutgoingPasswordSameAsIncomingPassword": true,
	})
	for _, key := range []string{"IncomingPassword", "OutgoingPassword"} {
		if _, ok := mail[key]; ok {
			t.Errorf("%s is in a profile made without the password", key)
		}
	}
	if bytes.Contains(profile, []byte("hunter2")) {
		t.Error("the profile holds the password unasked")
	}
	for what, d := range map[string]map[string]any{"profile": top, "mail payload": mail} {
		if u, _ := d["PayloadUUID"].(string); !uuidV8.MatchString(u) {
			t.Errorf("%s UUID %q is not an upper-case version 8 UUID", what, u)
		}
	}
	if top["PayloadUUID"] == mail["PayloadUUID"] {
		t.Error("the profile and its payload share a UUID")
	}
}

func TestMobileConfigUseSSL(t *testing.T) {
	for sec, want := range map[account.Security]bool{account.Plain: false, account.TLS: true, account.StartTLS: true} {
		s := remoteSettings("10.0.0.1", "pw")
		s.IMAP.Security, s.SMTP.Security = sec, sec
		profile, err := s.MobileConfig(account.MobileConfigOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mail := payloads(t, readPlist(t, profile))["com.apple.mail.managed"]
		checkFields(t, sec.String(), mail, map[string]any{"IncomingMailServerUseSSL": want, "OutgoingMailServerUseSSL": want})
	}
}

// TestMobileConfigEscapes covers host names and passwords holding XML's
// special characters, and the line ends an XML parser would otherwise
// rewrite: plistlib reads back exactly what went in.
func TestMobileConfigEscapes(t *testing.T) {
	const host = `<h>&amp;"'</string><true/>]]>`
	const pw = "<>&\"' ]]> tab\tcr\rcrlf\r\nü"
	s := remoteSettings(host, pw)
	profile, err := s.MobileConfig(account.MobileConfigOptions{IncludePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	mail := payloads(t, readPlist(t, profile))["com.apple.mail.managed"]
	checkFields(t, "mail payload", mail, map[string]any{
		"IncomingMailServerHostName": host, "OutgoingMailServerHostName": host,
		"IncomingPassword": pw, "OutgoingPassword": pw,
	})
	if _, ok := mail["OutgoingPasswordSameAsIncomingPassword"]; ok {
		t.Error("a profile with the password also asks for it")
	}
}

func TestMobileConfigRootCertificate(t *testing.T) {
	certPEM, _ := testkit.SelfSignedCert(t, "node.example")
	cert, err := account.ParseCertificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	for name, given := range map[string][]byte{"PEM": certPEM, "DER": cert.Raw} {
		profile, err := remoteSettings("node.example", "pw").MobileConfig(account.MobileConfigOptions{Certificate: given})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		top := readPlist(t, profile)
		byType := payloads(t, top)
		root, ok := byType["com.apple.security.root"]
		if !ok || len(byType) != 2 {
			t.Fatalf("%s: payloads %v, want a root certificate and the mail account", name, byType)
		}
		checkFields(t, name, root, map[string]any{
			"PayloadVersion":    1.0,
			"PayloadIdentifier": "yggpost." + testAddress.Hex()[:16] + ".certificate",
			"PayloadContent":    base64.StdEncoding.EncodeToString(cert.Raw),
		})
		if u, _ := root["PayloadUUID"].(string); !uuidV8.MatchString(u) || u == top["PayloadUUID"] || u == byType["com.apple.mail.managed"]["PayloadUUID"] {
			t.Errorf("%s: certificate payload UUID %q is not a UUID of its own", name, u)
		}
	}
}

// TestMobileConfigIsStable covers the identifiers that let a profile
// made again replace the installed one: the same for the same address
// whatever the host, different for another address.
func TestMobileConfigIsStable(t *testing.T) {
	a, err := remoteSettings("one.example", "pw").MobileConfig(account.MobileConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := remoteSettings("one.example", "pw").MobileConfig(account.MobileConfigOptions{})
	if !bytes.Equal(a, again) {
		t.Error("the same settings gave two different profiles")
	}
	moved, _ := remoteSettings("two.example", "pw").MobileConfig(account.MobileConfigOptions{})
	other := remoteSettings("one.example", "pw")
	other.Address = envelope.Address{9, 9, 9}
	b, _ := other.MobileConfig(account.MobileConfigOptions{})
	ids := func(profile []byte) [2]any {
		top := readPlist(t, profile)
		return [2]any{top["PayloadIdentifier"], top["PayloadUUID"]}
	}
	if ids(a) != ids(moved) {
		t.Errorf("a new host changed the profile's identifiers: %v, then %v", ids(a), ids(moved))
	}
	if ida, idb := ids(a), ids(b); ida[0] == idb[0] || ida[1] == idb[1] {
		t.Errorf("two addresses share profile identifiers: %v and %v", ida, idb)
	}
}

func TestMobileConfigRefuses(t *testing.T) {
	notSelfSigned := issuedCert(t)
	for name, c := range map[string]struct {
		edit func(*account.Settings)
		opts account.MobileConfigOptions
	}{
		"no address":                   {func(s *account.Settings) { s.Address = envelope.Address{} }, account.MobileConfigOptions{}},
		"no IMAP host":                 {func(s *account.Settings) { s.IMAP.Host = "" }, account.MobileConfigOptions{}},
		"no SMTP port":                 {func(s *account.Settings) { s.SMTP.Port = 0 }, account.MobileConfigOptions{}},
		"no password to include":       {func(s *account.Settings) { s.Password = "" }, account.MobileConfigOptions{IncludePassword: true}},
		"password XML cannot carry":    {func(s *account.Settings) { s.Password = "a\x01b" }, account.MobileConfigOptions{IncludePassword: true}},
		"host XML cannot carry":        {func(s *account.Settings) { s.SMTP.Host = "h\x00" }, account.MobileConfigOptions{}},
		"certificate that is garbage":  {func(*account.Settings) {}, account.MobileConfigOptions{Certificate: []byte("not a certificate")}},
		"certificate not self-signed":  {func(*account.Settings) {}, account.MobileConfigOptions{Certificate: notSelfSigned}},
		"PEM without a certificate":    {func(*account.Settings) {}, account.MobileConfigOptions{Certificate: []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}},
		"unknown security on the IMAP": {func(s *account.Settings) { s.IMAP.Security = 9 }, account.MobileConfigOptions{}},
	} {
		s := remoteSettings("node.example", "pw")
		c.edit(&s)
		profile, err := s.MobileConfig(c.opts)
		if err == nil {
			t.Errorf("%s: got a profile of %d bytes, want an error", name, len(profile))
			continue
		}
		if !strings.HasPrefix(err.Error(), "account settings: ") && !strings.HasPrefix(err.Error(), "parse certificate: ") {
			t.Errorf("%s: error %q does not say what it refused", name, err)
		}
	}
	s := remoteSettings("node.example", "a\x01b")
	if _, err := s.MobileConfig(account.MobileConfigOptions{}); err != nil {
		t.Errorf("a password left out of the profile was refused: %v", err)
	}
}

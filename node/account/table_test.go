package account_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/account"
)

// remoteSettings is an account on the TLS listeners of a node reached as
// host, with password.
func remoteSettings(host, password string) account.Settings {
	return account.Settings{
		Address:  testAddress,
		Password: password,
		IMAP:     account.Server{Host: host, Port: 993, Security: account.TLS},
		SMTP:     account.Server{Host: host, Port: 587, Security: account.StartTLS},
	}
}

// tableRows splits a table into its rows, name to value.
func tableRows(t *testing.T, table string) map[string]string {
	t.Helper()
	rows := map[string]string{}
	for line := range strings.Lines(table) {
		name, value, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "  ")
		if !ok {
			t.Fatalf("row %q has no two-space gap between name and value", line)
		}
		rows[name] = strings.TrimSpace(value)
	}
	return rows
}

func TestTableHidesPasswordUnlessAsked(t *testing.T) {
	s := remoteSettings("node.example", "hunter2")
	table, err := s.Table(account.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Address":        testAddress.String(),
		"User name":      testAddress.String() + " (IMAP and SMTP)",
		"Password":       "(the password you set)",
		"IMAP server":    "node.example port 993, security TLS",
		"SMTP server":    "node.example port 587, security STARTTLS",
		"Authentication": "normal password (PLAIN or LOGIN)",
	}
	rows := tableRows(t, table)
	if len(rows) != len(want) {
		t.Errorf("table has rows %q, want %q", rows, want)
	}
	for name, value := range want {
		if rows[name] != value {
			t.Errorf("row %q = %q, want %q", name, rows[name], value)
		}
	}
	if strings.Contains(table, "hunter2") {
		t.Errorf("table shows the password unasked:\n%s", table)
	}

	shown, err := s.Table(account.TableOptions{ShowPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := tableRows(t, shown)["Password"]; got != "hunter2" {
		t.Errorf("password row %q, want hunter2", got)
	}
}

// TestTableWithoutPassword covers the caller that does not know the
// password: the table needs it only to show it.
func TestTableWithoutPassword(t *testing.T) {
	s := remoteSettings("node.example", "")
	if _, err := s.Table(account.TableOptions{}); err != nil {
		t.Errorf("no password, none shown: %v", err)
	}
	if table, err := s.Table(account.TableOptions{ShowPassword: true}); err == nil {
		t.Errorf("no password to show: got table\n%s\nwant an error", table)
	}
}

func TestTableFingerprint(t *testing.T) {
	certPEM, _ := testkit.SelfSignedCert(t, "node.example")
	cert, err := account.ParseCertificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	sum := account.CertificateSHA256(cert)
	table, err := remoteSettings("node.example", "pw").Table(account.TableOptions{CertificateSHA256: sum})
	if err != nil {
		t.Fatal(err)
	}
	fp := tableRows(t, table)["Certificate SHA-256"]
	if len(fp) != 32*3-1 || strings.ToUpper(fp) != fp {
		t.Fatalf("fingerprint %q is not 32 upper-case hex pairs joined by colons", fp)
	}
	back, err := hex.DecodeString(strings.ReplaceAll(fp, ":", ""))
	if err != nil {
		t.Fatalf("fingerprint %q: %v", fp, err)
	}
	if !bytes.Equal(back, sum) {
		t.Errorf("fingerprint %q reads back as %x, want %x", fp, back, sum)
	}
	if _, err := remoteSettings("h", "pw").Table(account.TableOptions{CertificateSHA256: sum[:20]}); err == nil {
		t.Error("a 20-byte fingerprint was taken as SHA-256")
	}
}

// TestTableQuotesHostileValues covers values that would add lines to the
// table or hide in it: they are written quoted.
func TestTableQuotesHostileValues(t *testing.T) {
	s := remoteSettings("evil\nPassword  stolen", " pw\x1b[2J")
	table, err := s.Table(account.TableOptions{ShowPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	rows := tableRows(t, table)
	if len(rows) != 6 {
		t.Fatalf("table has %d rows, want 6:\n%s", len(rows), table)
	}
	if want := `"evil\nPassword  stolen" port 993, security TLS`; rows["IMAP server"] != want {
		t.Errorf("IMAP row %q, want %q", rows["IMAP server"], want)
	}
	if want := `" pw\x1b[2J"`; rows["Password"] != want {
		t.Errorf("password row %q, want %q", rows["Password"], want)
	}
}

func TestTableRefusesIncompleteSettings(t *testing.T) {
	for name, edit := range map[string]func(*account.Settings){
		"no address":     func(s *account.Settings) { s.Address = envelope.Address{} },
		"no SMTP host":   func(s *account.Settings) { s.SMTP.Host = "" },
		"no IMAP port":   func(s *account.Settings) { s.IMAP.Port = 0 },
		"unknown checks": func(s *account.Settings) { s.CertificateChecks = -1 },
	} {
		s := remoteSettings("node.example", "pw")
		edit(&s)
		if table, err := s.Table(account.TableOptions{}); err == nil || !strings.HasPrefix(err.Error(), "account settings: ") {
			t.Errorf("%s: got table %q, error %v; want an account settings error", name, table, err)
		}
	}
}

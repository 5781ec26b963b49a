package account

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// TableOptions says what Settings.Table adds to the settings.
type TableOptions struct {
	// ShowPassword writes the password itself; otherwise the table says
	// "(the password you set)" and s.Password may be empty.
	ShowPassword bool
	// CertificateSHA256, when set, is the SHA-256 of the servers'
	// certificate (CertificateSHA256 computes it), written so that the
	// user can compare it with what a client shows before trusting a
	// self-signed certificate.
	CertificateSHA256 []byte
}

// Table returns s as the settings a person types into any mail client,
// one "name  value" line each: the address, which is also the user name,
// the password, both servers with their security, and the
// authentication, "normal password" as Thunderbird calls it. A value
// holding a character that would break the table (a newline, a control
// character) is written quoted, as Go quotes a string.
func (s Settings) Table(opts TableOptions) (string, error) {
	if err := s.checkWith(opts.ShowPassword); err != nil {
		return "", err
	}
	password := "(the password you set)"
	if opts.ShowPassword {
		password = printable(s.Password)
	}
	rows := [][2]string{
		{"Address", s.Address.String()},
		{"User name", s.Address.String() + " (IMAP and SMTP)"},
		{"Password", password},
		{"IMAP server", tableServer(s.IMAP)},
		{"SMTP server", tableServer(s.SMTP)},
		{"Authentication", "normal password (PLAIN or LOGIN)"},
	}
	if opts.CertificateSHA256 != nil {
		fp, err := formatFingerprint(opts.CertificateSHA256)
		if err != nil {
			return "", err
		}
		rows = append(rows, [2]string{"Certificate SHA-256", fp})
	}
	var b strings.Builder
	for _, row := range rows {
		fmt.Fprintf(&b, "%-22s %s\n", row[0], row[1])
	}
	return b.String(), nil
}

// tableServer writes one server as "host port N, security S".
func tableServer(srv Server) string {
	return fmt.Sprintf("%s port %d, security %s", printable(srv.Host), srv.Port, srv.Security)
}

// printable returns text as it is when every character shows as itself,
// else quoted: so that no newline or control character reaches the
// terminal, and a space at either end is seen.
func printable(text string) string {
	if strings.ContainsFunc(text, func(r rune) bool { return !unicode.IsPrint(r) }) || strings.TrimSpace(text) != text {
		return strconv.Quote(text)
	}
	return text
}

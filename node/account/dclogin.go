package account

import (
	"net/url"
	"strconv"
	"strings"
)

// dcSecurity maps a Security to the value of Delta Chat's "is" and "ss"
// parameters.
var dcSecurity = map[Security]string{Plain: "plain", TLS: "ssl", StartTLS: "starttls"}

// dcChecks maps CertificateChecks to the value of Delta Chat's "ic" and
// "sc" parameters; ChecksDefault writes neither. "Accept invalid" is 3,
// not 2: every core reads 3 so, while older cores refuse a link with 2.
var dcChecks = map[CertificateChecks]string{ChecksStrict: "1", ChecksAcceptInvalid: "3"}

// DCLogin returns the account as a Delta Chat "dclogin:" link, which
// Delta Chat reads from a QR code, a tap on the link or a paste, and sets
// the account up from without asking anything more:
//
//	dclogin:ADDRESS?p=PASSWORD&v=1&ih=IMAPHOST&ip=IMAPPORT&is=SECURITY&sh=SMTPHOST&sp=SMTPPORT&ss=SECURITY
//
// v=1 is the version of the scheme; p is the password for both servers;
// ih, ip and is are the IMAP host, port and security, sh, sp and ss the
// SMTP ones, the security one of "plain", "ssl" or "starttls". Unless
// s.CertificateChecks is ChecksDefault, ic and sc follow with the
// certificate checks, 1 strict or 3 accept invalid certificates: current
// cores read ic for both servers and ignore sc, older ones read ic for
// IMAP and sc for SMTP, so the link carries both.
//
// Values are escaped as an HTML form would escape them, which is how
// Delta Chat decodes them: a space becomes "+", a "+" becomes "%2B". The
// address is written as it is: a Yggpost address is hex digits, "@" and
// "yggmail", which need no escaping. docs/clients.md describes the link.
func (s Settings) DCLogin() (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	params := [][2]string{
		{"p", s.Password},
		{"v", "1"},
		{"ih", s.IMAP.Host},
		{"ip", strconv.Itoa(int(s.IMAP.Port))},
		{"is", dcSecurity[s.IMAP.Security]},
		{"sh", s.SMTP.Host},
		{"sp", strconv.Itoa(int(s.SMTP.Port))},
		{"ss", dcSecurity[s.SMTP.Security]},
	}
	if checks, ok := dcChecks[s.CertificateChecks]; ok {
		params = append(params, [2]string{"ic", checks}, [2]string{"sc", checks})
	}
	var b strings.Builder
	b.WriteString("dclogin:")
	b.WriteString(s.Address.String())
	sep := byte('?')
	for _, kv := range params {
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return b.String(), nil
}

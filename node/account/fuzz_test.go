package account_test

import (
	"testing"
	"unicode/utf8"

	"github.com/yggpost/yggpost/node/account"
)

// FuzzDCLogin builds links from arbitrary settings: the builder either
// refuses them or returns a link that parses back to the same values.
func FuzzDCLogin(f *testing.F) {
	f.Add("hunter2", "localhost", uint16(1143), "localhost", uint16(1025), uint8(0))
	f.Add("a&b=c%d+e f", "::1", uint16(993), "mail.example.org", uint16(587), uint8(2))
	f.Add("ключ#?/;", "", uint16(0), "h", uint16(1), uint8(9))
	f.Fuzz(func(t *testing.T, pw, imapHost string, imapPort uint16, smtpHost string, smtpPort uint16, sec uint8) {
		s := settings(pw)
		s.IMAP = account.Server{Host: imapHost, Port: imapPort, Security: account.Security(sec % 4)}
		s.SMTP = account.Server{Host: smtpHost, Port: smtpPort, Security: account.Security(sec / 4 % 4)}
		link, err := s.DCLogin()
		valid := pw != "" && utf8.ValidString(pw) &&
			imapHost != "" && imapPort != 0 && utf8.ValidString(imapHost) && sec%4 < 3 &&
			smtpHost != "" && smtpPort != 0 && utf8.ValidString(smtpHost) && sec/4%4 < 3
		if (err == nil) != valid {
			t.Fatalf("settings %+v: error %v, want an error: %v", s, err, !valid)
		}
		if err == nil {
			checkRoundTrip(t, s, link)
		}
	})
}

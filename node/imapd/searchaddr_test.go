package imapd

import (
	"encoding/base64"
	"fmt"
	"testing"
)

// TestSearchAddressesAndText: FROM, TO, CC and BCC match the addresses as
// read (comments removed) and the field as written; HEADER, SUBJECT and
// TEXT match encoded words decoded; BODY and TEXT match text parts with
// their transfer encoding undone and charset converted.
func TestSearchAddressesAndText(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	msgs := []string{
		"From: Some One <user (c)@ (c) Domain.ORG>\r\nTo: undisclosed-recipients:;\r\n" +
			"Subject: =?iso-8859-1?q?Caf=E9?= menu\r\n\r\nplain body\r\n",
		"From: =?utf-8?q?J=C3=B6rg?= <joerg@example.org>\r\nCc: Friends: a@b.c, \"Bee\" <d@e.f>;\r\n" +
			"Bcc: hidden@x.y (Hidden Person)\r\nX-Custom: =?utf-8?q?gr=C3=BC=C3=9F?=\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			base64.StdEncoding.EncodeToString([]byte("secret banana")) + "\r\n!!!\r\n",
		"From: plain@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
			"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
			"cr=E8me br=FBl=\r\n=E9e\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner subject\r\n\r\ninner body\r\n--b--\r\n",
	}
	for i, m := range msgs {
		r.appendRaw(fmt.Sprintf("a%d", i), "INBOX", "", m)
	}
	r.send("s SELECT INBOX")
	r.until("s OK")
	for i, tc := range []struct{ query, want string }{
		{"FROM user@domain.org", "1"},
		{"FROM \"Some One <user@domain\"", "1"},
		{`FROM "(c)"`, "1"},
		{"CHARSET UTF-8 FROM {5+}\r\njörg", "2"},
		{"FROM joerg@EXAMPLE", "2"},
		{"TO undisclosed", "1"},
		{"CC friends", "2"},
		{"CC bee", "2"},
		{"CC d@e.f", "2"},
		{"BCC \"hidden person\"", "2"},
		{"CHARSET UTF-8 SUBJECT {5+}\r\ncafé", "1"},
		{"SUBJECT caf=E9", "1"},
		{"CHARSET UTF-8 HEADER X-Custom {6+}\r\ngrüß", "2"},
		{"HEADER X-Custom \"\"", "2"},
		{"HEADER X-Missing \"\"", ""},
		{"BODY banana", "2"},
		{"TEXT banana", "2"},
		{"CHARSET UTF-8 BODY {15+}\r\ncrème brûlée", "3"},
		{"BODY \"inner body\"", "3"},
		{"BODY \"inner subject\"", "3"},
		{"TEXT joerg", "2"},
		{"CHARSET UTF-8 TEXT {5+}\r\nCafé", "1"},
		{"TEXT nowhere", ""},
	} {
		r.expectSearch(fmt.Sprintf("q%d", i), tc.query, tc.want)
	}
}

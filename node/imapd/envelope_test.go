package imapd

import (
	"testing"
)

// TestEnvelopeProto appends messages with unusual address fields and
// compares the ENVELOPE imapserver writes for each (RFC 3501 7.4.2).
func TestEnvelopeProto(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	cases := []struct{ header, want string }{
		{"From: a@b.c\r\nTo: undisclosed-recipients:;\r\nCc: Friends: a@b.c, \"B\" <d@e.f>;\r\nSubject: groups\r\n",
			`(NIL "groups" ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) ((NIL NIL "a" "b.c")) ((NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL)) ((NIL NIL "Friends" NIL) (NIL NIL "a" "b.c") ("B" NIL "d" "e.f") (NIL NIL NIL NIL)) NIL NIL NIL)`},
		{"From: =?utf-8?q?J=C3=B6rg?= <j@x.org>\r\nSender: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\r\nReply-To: \"john doe\"@x.org (John)\r\nTo: <user (c)@ (c) domain.org>, plain@example.org\r\nBcc: =?iso-8859-1?q?Andr=E9?= <a@x>\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n",
			`(NIL "=?utf-8?q?Gr=C3=BC=C3=9Fe?=" (("=?utf-8?q?J=C3=B6rg?=" NIL "j" "x.org")) (("Pete" NIL "pete" "silly.test")) (("John" NIL "john doe" "x.org")) ((NIL NIL "user" "domain.org") (NIL NIL "plain" "example.org")) NIL (("=?utf-8?q?Andr=C3=A9?=" NIL "a" "x")) NIL NIL)`},
		{"Date: Mon, 2 Feb 2026 23:30:00 -0500 (EST)\r\nFrom: nodomain, <>, Broken <x@y\r\nTo: ,,\r\nMessage-ID: <id@here>\r\nIn-Reply-To: <a@b> (earlier) <c@d>\r\n",
			`("Mon, 02 Feb 2026 23:30:00 -0500" NIL ((NIL NIL "nodomain" "MISSING_DOMAIN") (NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN") ("Broken" NIL "x" "y")) ((NIL NIL "nodomain" "MISSING_DOMAIN") (NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN") ("Broken" NIL "x" "y")) ((NIL NIL "nodomain" "MISSING_DOMAIN") (NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN") ("Broken" NIL "x" "y")) NIL NIL NIL "<a@b> <c@d>" "<id@here>")`},
		{"Subject: =?x-unknown?q?abc?=\r\nthis line is no field\r\nFrom: after@bad.line\r\nDate: not a date\r\n",
			`(NIL "=?x-unknown?q?abc?=" ((NIL NIL "after" "bad.line")) ((NIL NIL "after" "bad.line")) ((NIL NIL "after" "bad.line")) NIL NIL NIL NIL NIL)`},
		{"\x00\x01garbage\r\n", `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`},
	}
	var msgs, want []string
	for _, tc := range cases {
		msgs, want = append(msgs, tc.header+"\r\nbody\r\n"), append(want, tc.want)
	}
	r.fetchEach("ENVELOPE", msgs, want)
}

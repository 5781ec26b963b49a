package imapd

import (
	"strings"
	"testing"
)

// TestOddMIMEProto: BODYSTRUCTURE of messages with a missing, broken or
// defaulted Content-Type, and BODY sections of their parts, which are
// found and typed the same way.
func TestOddMIMEProto(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	digest := "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: first\r\nTo: g: a@b;\r\n\r\none\r\n" +
		"--d\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: Base64 (yes)\r\n\r\naGk=\r\n--d--\r\n"
	cases := []struct{ msg, want string }{
		{"Subject: none\r\n\r\nbody\r\n",
			`("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL)`},
		{"Content-Type: text/html; foo\r\n\r\nbody\r\n",
			`("text" "html" NIL NIL NIL "7bit" 6 1 NIL NIL NIL NIL)`},
		{"Content-Type: text\r\nContent-Disposition: attachment; bad\r\n\r\nbody\r\n",
			`("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL ("attachment" NIL) NIL NIL)`},
		{digest,
			`(("message" "rfc822" NIL NIL NIL "7bit" 34 (NIL "first" NIL NIL NIL ((NIL NIL "g" NIL) (NIL NIL "a" "b") (NIL NIL NIL NIL)) NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)("text" "plain" ("charset" "utf-8") NIL NIL "base64" 4 0 NIL NIL NIL NIL) "digest" ("boundary" "d") NIL NIL NIL)`},
	}
	var msgs, want []string
	for _, tc := range cases {
		msgs, want = append(msgs, tc.msg), append(want, tc.want)
	}
	r.fetchEach("BODYSTRUCTURE", msgs, want)
	for _, tc := range []struct{ item, want string }{
		{"BODY.PEEK[1]", lit("BODY[1] ", "Subject: first\r\nTo: g: a@b;\r\n\r\none")},
		{"BODY.PEEK[1.HEADER.FIELDS (subject)]", lit(`BODY[1.HEADER.FIELDS ("subject")] `, "Subject: first\r\n\r\n")},
		{"BODY.PEEK[1.TEXT]", lit("BODY[1.TEXT] ", "one")},
		{"BODY.PEEK[1.1]", lit("BODY[1.1] ", "one")},
		{"BODY.PEEK[2.MIME]", lit("BODY[2.MIME] ", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: Base64 (yes)\r\n\r\n")},
		{"BODY.PEEK[2]<1.2>", lit("BODY[2]<1> ", "Gk")},
		{"BODY.PEEK[2.TEXT]", lit("BODY[2.TEXT] ", "")},
		{"BINARY.PEEK[2]", lit("BINARY[2] ~", "hi")},
		{"BODY.PEEK[3]", lit("BODY[3] ", "")},
	} {
		r.send("b FETCH 4 (" + tc.item + ")")
		if got := r.response("b"); len(got) != 2 || got[0] != "* 4 FETCH ("+tc.want+")" || !strings.HasPrefix(got[1], "b OK") {
			t.Errorf("%s:\n got  %q\n want %q", tc.item, got, tc.want)
		}
	}
}

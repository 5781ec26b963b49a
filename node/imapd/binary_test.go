package imapd

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// binaryMessage has a part for each content transfer encoding BINARY
// must undo, and one it cannot.
var binaryMessage = strings.Join([]string{
	"From: a@b.c",
	"Subject: parts",
	"Content-Type: multipart/mixed; boundary=outer",
	"",
	"--outer",
	"Content-Type: application/octet-stream",
	"Content-Transfer-Encoding: base64",
	"",
	lines76(base64.StdEncoding.EncodeToString([]byte(binaryPayload))),
	"--outer",
	"Content-Type: application/octet-stream",
	"Content-Transfer-Encoding: BASE64",
	"",
	base64.StdEncoding.EncodeToString([]byte("hello world")) + "!!garbage after the padding",
	"--outer",
	"Content-Type: text/plain; charset=iso-8859-1",
	"Content-Transfer-Encoding: quoted-printable",
	"",
	"caf=E9 au lait, soft=",
	" break, =3d and =3D, trailing space   ",
	"tab\t",
	"bad =ZZ escape, end=",
	"--outer",
	"Content-Type: text/plain",
	"Content-Transfer-Encoding: 7bit",
	"",
	"seven bit",
	"--outer",
	"Content-Type: text/plain; charset=utf-8",
	"Content-Transfer-Encoding: 8bit",
	"",
	"acht Bit: äöü",
	"--outer",
	"Content-Type: application/octet-stream",
	"Content-Transfer-Encoding: binary",
	"",
	"bin\x00ary\rdata",
	"--outer",
	"Content-Type: multipart/alternative; boundary=inner",
	"",
	"--inner",
	"Content-Type: text/plain",
	"Content-Transfer-Encoding: base64",
	"",
	base64.StdEncoding.EncodeToString([]byte("nested one")),
	"--inner",
	"Content-Type: text/html",
	"Content-Transfer-Encoding: quoted-printable",
	"",
	"<p>nested=20two</p>",
	"--inner--",
	"--outer",
	"Content-Type: application/octet-stream",
	"Content-Transfer-Encoding: x-uuencode",
	"",
	"begin 644 x",
	"--outer--",
	"",
}, "\r\n")

var binaryPayload = strings.Repeat("\x00\x01\x02\xfe\xff binary payload ", 20)

func lines76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s
}

// TestBinaryProto fetches BINARY, BINARY.SIZE and partial BINARY of every
// part of binaryMessage over the socket (RFC 3516).
func TestBinaryProto(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	r.appendRaw("a", "INBOX", "", binaryMessage)
	r.send("s SELECT INBOX")
	r.until("s OK")
	qp := "café au lait, soft break, = and =, trailing space\r\ntab\r\nbad =ZZ escape, end"
	for _, tc := range []struct{ part, want string }{
		{"1", binaryPayload},
		{"2", "hello world"},
		{"3", strings.ReplaceAll(qp, "é", "\xe9")},
		{"4", "seven bit"},
		{"5", "acht Bit: äöü"},
		{"6", "bin\x00ary\rdata"},
		{"7.1", "nested one"},
		{"7.2", "<p>nested two</p>"},
		{"9", ""},
	} {
		tag := "b" + tc.part
		r.send(fmt.Sprintf("%s FETCH 1 (BINARY.PEEK[%s] BINARY.SIZE[%s])", tag, tc.part, tc.part))
		got := r.response(tag)
		want := fmt.Sprintf("* 1 FETCH (%s BINARY.SIZE[%s] %d)", lit("BINARY["+tc.part+"] ~", tc.want), tc.part, len(tc.want))
		if len(got) != 2 || got[0] != want || !strings.HasPrefix(got[1], tag+" OK") {
			t.Errorf("BINARY[%s]:\n got  %q\n want %q", tc.part, got, want)
		}
	}
	for _, tc := range []struct{ item, want string }{
		{"BINARY.PEEK[1]<0.10>", lit("BINARY[1]<0> ~", binaryPayload[:10])},
		{"BINARY.PEEK[1]<4.3>", lit("BINARY[1]<4> ~", binaryPayload[4:7])},
		{"BINARY.PEEK[2]<6.100>", lit("BINARY[2]<6> ~", "world")},
		{"BINARY.PEEK[2]<20.5>", lit("BINARY[2]<20> ~", "")},
		{"BINARY.PEEK[3]<0.4>", lit("BINARY[3]<0> ~", "caf\xe9")},
	} {
		r.send("p FETCH 1 (" + tc.item + ")")
		if got := r.response("p"); len(got) != 2 || got[0] != "* 1 FETCH ("+tc.want+")" {
			t.Errorf("%s:\n got  %q\n want %q", tc.item, got, tc.want)
		}
	}
	for _, item := range []string{"BINARY.PEEK[8]", "BINARY.SIZE[8]"} {
		r.expect("u FETCH 1 ("+item+")", "~u NO \\[UNKNOWN-CTE\\] .*")
	}
	r.expect("k FETCH 1 (FLAGS)", `* 1 FETCH (FLAGS (\Recent))`, "k OK FETCH completed")
	r.send("n FETCH 1 (BINARY[4])")
	if got := r.response("n"); got[0] != `* 1 FETCH (FLAGS (\Seen \Recent) `+lit("BINARY[4] ~", "seven bit")+")" {
		t.Errorf("BINARY without PEEK: %q", got)
	}
}

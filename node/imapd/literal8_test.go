package imapd

import (
	"fmt"
	"strings"
	"testing"
)

// TestAppendLiteral8 appends messages as literal8 (RFC 3516 4.4), with
// NULs and bare CRs, synchronizing and not, and reads them back: BINARY
// and BINARY.SIZE give the bytes as appended; BODY[] and the sections of
// parts, whose literals may not hold a NUL, give each NUL as 0x80.
func TestAppendLiteral8(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	msgs := []string{
		"Subject: nul\r\n\r\nx\x00y\r\n",
		"Subject: cr\r\n\r\nx\ry\r\r\n",
		"",
	}
	for i, msg := range msgs {
		tag := fmt.Sprintf("s%d", i)
		r.sendRaw(fmt.Sprintf("%s APPEND INBOX ~{%d}\r\n", tag, len(msg)))
		if l := r.line(); !strings.HasPrefix(l, "+ ") {
			t.Fatalf("continuation %q", l)
		}
		r.sendRaw(msg + "\r\n")
		r.until(tag + " OK")
		r.appendRaw(fmt.Sprintf("n%d", i), "INBOX", "(\\Seen)", msg) // {n+}
		r.sendRaw(fmt.Sprintf("p%d APPEND INBOX ~{%d+}\r\n%s\r\n", i, len(msg), msg))
		r.until(fmt.Sprintf("p%d OK", i))
	}
	r.send("s SELECT INBOX")
	r.until("s OK")
	for i, msg := range msgs {
		asBody := strings.ReplaceAll(msg, "\x00", "\x80")
		body := ""
		if _, b, ok := strings.Cut(msg, "\r\n\r\n"); ok {
			body = b
		}
		for k := 0; k < 3; k++ {
			seq := 3*i + k + 1
			tag := fmt.Sprintf("f%d", seq)
			r.send(fmt.Sprintf("%s FETCH %d (RFC822.SIZE BODY.PEEK[] BODY.PEEK[1] BINARY.PEEK[1] BINARY.SIZE[1])", tag, seq))
			got := r.response(tag)
			want := fmt.Sprintf("* %d FETCH (RFC822.SIZE %d %s %s %s BINARY.SIZE[1] %d)", seq, len(msg),
				lit("BODY[] ", asBody), lit("BODY[1] ", strings.ReplaceAll(body, "\x00", "\x80")), lit("BINARY[1] ~", body), len(body))
			if len(got) != 2 || got[0] != want {
				t.Errorf("message %d:\n got  %q\n want %q", seq, got, want)
			}
		}
	}
}

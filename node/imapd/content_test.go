package imapd

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// literalAtEnd8 matches a literal ({n} or literal8 ~{n}) that ends a line.
var literalAtEnd8 = regexp.MustCompile(`~?\{(\d+)\}$`)

// response reads the responses up to and including the tagged one; a
// literal is read whole into the line that announced it, as
// "{n}" + bytes, so that binary data stays in one piece.
func (r *rawConn) response(tag string) []string {
	r.t.Helper()
	var out []string
	for {
		l := r.line()
		for m := literalAtEnd8.FindStringSubmatch(l); m != nil; m = literalAtEnd8.FindStringSubmatch(l) {
			n, _ := strconv.Atoi(m[1])
			buf := make([]byte, n)
			if _, err := readFull(r, buf); err != nil {
				r.t.Fatalf("read literal of %d: %v", n, err)
			}
			l += "\x00LIT" + string(buf) + "\x00END" + r.line()
		}
		out = append(out, l)
		if strings.HasPrefix(l, tag+" ") {
			return out
		}
	}
}

// lit writes a literal as response shows it.
func lit(prefix string, data string) string {
	return fmt.Sprintf("%s{%d}\x00LIT%s\x00END", prefix, len(data), data)
}

// appendRaw appends msg to INBOX with a non-synchronizing literal and
// returns the tagged reply.
func (r *rawConn) appendRaw(tag, mailbox, flagsAndDate, msg string) string {
	r.t.Helper()
	if flagsAndDate != "" {
		flagsAndDate += " "
	}
	r.sendRaw(fmt.Sprintf("%s APPEND %s %s{%d+}\r\n%s\r\n", tag, mailbox, flagsAndDate, len(msg), msg))
	got := r.until(tag + " ")
	last := got[len(got)-1]
	if !strings.HasPrefix(last, tag+" OK") {
		r.t.Fatalf("APPEND %s: %q", tag, got)
	}
	return last
}

// fetchEach appends each message to INBOX, selects it and checks that
// FETCH of item on message i answers want[i].
func (r *rawConn) fetchEach(item string, msgs, want []string) {
	r.t.Helper()
	for i, m := range msgs {
		r.appendRaw(fmt.Sprintf("a%d", i), "INBOX", "", m)
	}
	r.send("s SELECT INBOX")
	r.until("s OK")
	for i := range msgs {
		tag := fmt.Sprintf("f%d", i)
		r.expect(fmt.Sprintf("%s FETCH %d %s", tag, i+1, item),
			fmt.Sprintf("* %d FETCH (%s %s)", i+1, item, want[i]), tag+" OK FETCH completed")
	}
}

// expectSearch sends SEARCH query and checks the numbers it answers.
func (r *rawConn) expectSearch(tag, query, want string) {
	r.t.Helper()
	r.sendRaw(tag + " SEARCH " + query + "\r\n")
	got := r.until(tag + " ")
	if w := strings.TrimSpace("* SEARCH " + want); len(got) != 2 || got[0] != w || !strings.HasPrefix(got[1], tag+" OK") {
		r.t.Errorf("SEARCH %s: got %q, want %q", query, got, w)
	}
}

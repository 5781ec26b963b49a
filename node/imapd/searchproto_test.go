package imapd

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// searchCorpus is appended, in order, after a first message that is
// expunged, so that sequence numbers 1..4 have UIDs 2..5.
var searchCorpus = []struct{ flags, date, msg string }{
	{`\Seen $Work`, "01-Feb-2026 10:00:00 +0000", "From: Alice <alice@yggmail>\r\nTo: bob@yggmail\r\nCc: carol@yggmail\r\n" +
		"Subject: Hello world\r\nDate: Mon, 2 Feb 2026 23:30:00 -0500\r\n\r\nThe quick brown fox.\r\n"},
	{`\Flagged`, "10-Mar-2026 08:00:00 +0000", "From: bob@yggmail\r\nTo: alice@yggmail\r\nBcc: dave@yggmail\r\n" +
		"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nDate: Tue, 10 Mar 2026 08:00:00 +0000\r\nX-Priority: 1\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("a secret banana")) + "\r\n"},
	{`\Answered \Deleted`, "15-Mar-2026 12:00:00 +0000", "From: carol@yggmail\r\nTo: bob@yggmail\r\nSubject: Report\r\n" +
		"Date: Sun, 15 Mar 2026 12:00:00 +0000\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nquarterly numbers\r\n--b\r\nContent-Type: application/octet-stream\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("banana ", 400))) + "\r\n--b--\r\n"},
	{``, "20-Mar-2026 00:00:00 +0000", "From: eve@yggmail\r\n\r\nno subject, no date\r\n"},
}

func loadSearchCorpus(t *testing.T, r *rawConn) {
	r.send(`a1 LOGIN ` + testUser + ` "` + testPass + `"`)
	r.until("a1 OK")
	first := "Subject: gone\r\n\r\n"
	r.sendRaw(fmt.Sprintf("a2 APPEND INBOX (\\Deleted) {%d+}\r\n%s\r\n", len(first), first))
	r.until("a2 OK")
	r.send("a3 SELECT INBOX")
	r.until("a3 OK")
	r.send("a4 EXPUNGE")
	r.until("a4 OK")
	for i, m := range searchCorpus {
		tag := fmt.Sprintf("c%d", i)
		r.sendRaw(fmt.Sprintf("%s APPEND INBOX (%s) %q {%d+}\r\n%s\r\n", tag, m.flags, m.date, len(m.msg), m.msg))
		if got := r.until(tag + " "); !strings.HasPrefix(got[len(got)-1], tag+" OK [APPENDUID ") {
			t.Fatalf("append %d: %q", i, got)
		}
	}
}

// TestSearchProtocol runs SEARCH and UID SEARCH lines over the socket and
// compares the exact responses.
func TestSearchProtocol(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	loadSearchCorpus(t, r)
	for i, tc := range []struct{ query, want string }{
		{"ALL", "1 2 3 4"},
		{"FROM alice", "1"},
		{"FROM ALICE", "1"},
		{"TO bob", "1 3"},
		{"CC carol", "1"},
		{"BCC dave", "2"},
		{"CHARSET UTF-8 SUBJECT {7+}\r\nGrüße", "2"},
		{"SUBJECT report", "3"},
		{"HEADER X-Priority 1", "2"},
		{`HEADER X-Priority ""`, "2"},
		{"HEADER Subject world", "1"},
		{"BODY banana", "2"},
		{"BODY quarterly", "3"},
		{"TEXT banana", "2"},
		{"TEXT carol@yggmail", "1 3"},
		{"BEFORE 10-Mar-2026", "1"},
		{"ON 10-Mar-2026", "2"},
		{"SINCE 15-Mar-2026", "3 4"},
		{"SENTBEFORE 3-Feb-2026", "1"},
		{"SENTON 2-Feb-2026", "1"},
		{"SENTSINCE 10-Mar-2026", "2 3 4"}, // 4 has no Date: its internal date counts
		{"SENTBEFORE 1-Jan-2100", "1 2 3 4"},
		{"LARGER 2000", "3"},
		{"SMALLER 2000", "1 2 4"},
		{"SMALLER 2000 LARGER 1", "1 2 4"},
		{"SMALLER 1 LARGER 1", ""}, // both hold, whatever their order
		{"LARGER 1 SMALLER 1", ""},
		{"SEEN", "1"},
		{"UNSEEN", "2 3 4"},
		{"FLAGGED", "2"},
		{"ANSWERED", "3"},
		{"DELETED", "3"},
		{"UNDELETED", "1 2 4"},
		{"DRAFT", ""},
		{"KEYWORD $work", "1"},
		{"UNKEYWORD $Work", "2 3 4"},
		{"NEW", "2 3 4"}, // this session was the first told of the appends
		{"OLD", ""},
		{"RECENT", "1 2 3 4"},
		{"2:*", "2 3 4"},
		{"1,3", "1 3"},
		{"UID 2:3", "1 2"},
		{"UID 5:*", "4"},
		{"NOT SEEN", "2 3 4"},
		{"OR FROM alice FROM carol", "1 3"},
		{"NOT (FROM alice TO bob)", "2 3 4"},
		{"(OR SEEN FLAGGED) UNDELETED", "1 2"},
		{"OR NOT FROM alice FROM alice", "1 2 3 4"},
		{"OR (TO bob SMALLER 2000) BCC dave", "1 2"},
		{"NOT NOT OR BODY fox TEXT numbers", "1 3"},
		{"SEEN UNSEEN", ""},
	} {
		tag := fmt.Sprintf("s%d", i)
		r.sendRaw(tag + " SEARCH " + tc.query + "\r\n")
		got := r.until(tag + " ")
		want := strings.TrimSpace("* SEARCH " + tc.want)
		if len(got) != 2 || got[0] != want || !strings.HasPrefix(got[1], tag+" OK") {
			t.Errorf("SEARCH %s: got %q, want %q", tc.query, got, want)
		}
	}
	for i, tc := range []struct{ query, want string }{
		{"UID SEARCH FROM carol", "* SEARCH 4"},
		{"UID SEARCH ALL", "* SEARCH 2 3 4 5"},
		{"UID SEARCH RETURN (MIN MAX COUNT) UNSEEN", `* ESEARCH (TAG "u2") UID MIN 3 MAX 5 COUNT 3`},
		{"SEARCH RETURN (MIN MAX) UNSEEN", `* ESEARCH (TAG "u3") MIN 2 MAX 4`},
		{"UID SEARCH RETURN () TO bob", `* ESEARCH (TAG "u4") UID ALL 2,4`},
		{"SEARCH RETURN (COUNT) DRAFT", `* ESEARCH (TAG "u5") COUNT 0`},
		{"UID SEARCH RETURN (ALL) DRAFT", `* ESEARCH (TAG "u6") UID`},
	} {
		tag := fmt.Sprintf("u%d", i)
		r.send(tag + " " + tc.query)
		got := r.until(tag + " ")
		if len(got) != 2 || got[0] != tc.want || !strings.HasPrefix(got[1], tag+" OK") {
			t.Errorf("%s: got %q, want %q", tc.query, got, tc.want)
		}
	}
}

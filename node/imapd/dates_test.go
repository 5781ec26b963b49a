package imapd

import (
	"fmt"
	"testing"
)

// TestInternalDateProto: the date-time APPEND gives is the internal date,
// zone and all: FETCH INTERNALDATE echoes it, SEARCH SINCE, BEFORE and ON
// compare its calendar day in its own zone (RFC 3501 6.4.4), SENT* the
// Date field's, and COPY and MOVE keep it (RFC 3501 6.4.7).
func TestInternalDateProto(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	dates := []string{
		" 1-Jan-2026 23:30:00 -0500", // 04:30 UTC on 2 January
		" 2-Jan-2026 00:15:00 +1400", // 10:15 UTC on 1 January
		"15-Mar-2026 12:00:00 +0000",
	}
	sent := "Date: Sat, 31 Jan 2026 23:59:00 -1200\r\n" // 11:59 UTC on 1 February
	for i, d := range dates {
		r.appendRaw(fmt.Sprintf("a%d", i), "INBOX", fmt.Sprintf("%q", d), sent+"Subject: s\r\n\r\nbody\r\n")
	}
	r.send("s SELECT INBOX")
	r.until("s OK")
	fetch := func(tag string) {
		t.Helper()
		want := []string{}
		for i, d := range dates {
			want = append(want, fmt.Sprintf("* %d FETCH (INTERNALDATE %q)", i+1, d))
		}
		r.expect(tag+" FETCH 1:* INTERNALDATE", append(want, tag+" OK FETCH completed")...)
	}
	fetch("f1")
	for i, tc := range []struct{ query, want string }{
		{"ON 1-Jan-2026", "* SEARCH 1"},
		{"ON 2-Jan-2026", "* SEARCH 2"},
		{"SINCE 2-Jan-2026", "* SEARCH 2 3"},
		{"BEFORE 2-Jan-2026", "* SEARCH 1"},
		{"BEFORE 1-Jan-2026", "* SEARCH"},
		{"SINCE 15-Mar-2026 BEFORE 16-Mar-2026", "* SEARCH 3"},
		{"SENTON 31-Jan-2026", "* SEARCH 1 2 3"},
		{"SENTON 1-Feb-2026", "* SEARCH"},
		{"SENTBEFORE 31-Jan-2026", "* SEARCH"},
		{"SENTSINCE 1-Feb-2026", "* SEARCH"},
	} {
		tag := fmt.Sprintf("q%d", i)
		r.expect(tag+" SEARCH "+tc.query, tc.want, tag+" OK SEARCH completed")
	}
	r.expect("c CREATE Kept", "c OK CREATE completed")
	r.expect("c2 COPY 1:* Kept", "~c2 OK \\[COPYUID .*")
	r.expect("m MOVE 1:* Kept", "~\\* OK \\[COPYUID .*", "* 1 EXPUNGE", "* 1 EXPUNGE", "* 1 EXPUNGE", "m OK MOVE completed")
	r.send("k SELECT Kept")
	r.until("k OK")
	r.expect("k2 FETCH 1:6 INTERNALDATE",
		fmt.Sprintf("* 1 FETCH (INTERNALDATE %q)", dates[0]), fmt.Sprintf("* 2 FETCH (INTERNALDATE %q)", dates[1]),
		fmt.Sprintf("* 3 FETCH (INTERNALDATE %q)", dates[2]), fmt.Sprintf("* 4 FETCH (INTERNALDATE %q)", dates[0]),
		fmt.Sprintf("* 5 FETCH (INTERNALDATE %q)", dates[1]), fmt.Sprintf("* 6 FETCH (INTERNALDATE %q)", dates[2]),
		"k2 OK FETCH completed")
	r.expect("k3 SEARCH ON 1-Jan-2026", "* SEARCH 1 4", "k3 OK SEARCH completed")
}

package imapd

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/mailbox"
)

// SORT and THREAD (RFC 5256) over real sockets.

// sortFixture is a small thread: 1 starts it, 2 and 4 answer 1, 3
// answers 2; 5 is on its own with the same base subject as 1; 6 answers a
// message not in the mailbox, with no subject prefix.
var sortFixture = []struct{ from, to, subject, date, id, refs string }{
	{"carol@example.org", "bob@example.org", "Plans", "Mon, 02 Nov 2026 10:00:00 +0000", "<1@x>", ""},
	{"alice@example.org", "carol@example.org", "Re: Plans", "Mon, 02 Nov 2026 11:00:00 +0000", "<2@x>", "<1@x>"},
	{"bob@example.org", "alice@example.org", "Re: Re: Plans", "Mon, 02 Nov 2026 12:00:00 +0000", "<3@x>", "<1@x> <2@x>"},
	{"dave@example.org", "carol@example.org", "RE: Plans", "Mon, 02 Nov 2026 09:30:00 -0200", "<4@x>", "<1@x>"},
	{"eve@example.org", "zed@example.org", "Fwd: plans", "Sun, 01 Nov 2026 08:00:00 +0000", "<5@x>", ""},
	{"Zoe <zoe@example.org>", "amy@example.org", "Budget", "not a date", "<6@x>", "<elsewhere@x>"},
}

func appendSortFixture(t *testing.T, e *testEnv) {
	t.Helper()
	arrival := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	for i, m := range sortFixture {
		msg := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n", m.from, m.to, m.subject, m.date, m.id)
		if m.refs != "" {
			msg += "References: " + m.refs + "\r\n"
		}
		// Sizes in the reverse of arrival order, far apart.
		msg += "\r\n" + string(bytes.Repeat([]byte("x"), 100*(len(sortFixture)-i))) + "\r\n"
		opts := mailbox.AppendOptions{Date: arrival.Add(-time.Duration(i) * time.Hour)}
		if _, _, err := e.store.Append("INBOX", bytes.NewReader([]byte(msg)), opts); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSortAndThread(t *testing.T) {
	e := newEnv(t)
	appendSortFixture(t, e)
	r := dialRaw(t, e.addr)
	r.login()
	r.open("a0 SELECT INBOX")
	// Message 6 has no readable date: its arrival (the latest) stands in;
	// 4's -0200 puts it after 2.
	r.expect("a1 SORT (DATE) UTF-8 ALL", "* SORT 5 1 2 4 3 6", "a1 OK SORT completed")
	r.expect("a2 SORT (REVERSE ARRIVAL) US-ASCII ALL", "* SORT 1 2 3 4 5 6", "a2 OK SORT completed")
	r.expect("a3 SORT (SUBJECT SIZE) UTF-8 ALL", "* SORT 6 5 4 3 2 1", "a3 OK SORT completed")
	r.expect("a4 SORT (FROM) UTF-8 ALL", "* SORT 2 3 1 4 5 6", "a4 OK SORT completed")
	r.expect("a5 SORT (TO REVERSE SIZE) UTF-8 NOT FROM carol", "* SORT 3 6 2 4 5", "a5 OK SORT completed")
	r.expect("a6 UID SORT (SIZE) UTF-8 1:4", "* SORT 4 3 2 1", "a6 OK UID SORT completed")
	r.expect("a7 SORT (CC) UTF-8 SUBJECT nothing-matches", "* SORT", "a7 OK SORT completed")

	r.expect("a8 THREAD REFERENCES UTF-8 ALL", "* THREAD (1 (5)(2 3)(4))(6)", "a8 OK THREAD completed")
	r.expect("a9 THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD (5 (1)(2)(4)(3))(6)", "a9 OK THREAD completed")
	r.expect("a10 UID THREAD REFERENCES UTF-8 2:3", "* THREAD (2 3)", "a10 OK UID THREAD completed")

	r.expect("b1 SORT (DATE) UTF-16 ALL", "b1 NO [BADCHARSET] Only US-ASCII and UTF-8 are supported SEARCH charsets")
	r.expect("b2 SORT (COLOUR) UTF-8 ALL", "b2 BAD [CLIENTBUG] Unknown SORT key")
	r.expect("b3 SORT DATE UTF-8 ALL", `~b3 BAD \[CLIENTBUG\] Syntax error: .*`)
	r.expect("b4 THREAD LOOM UTF-8 ALL", "b4 BAD [CLIENTBUG] Unknown THREAD algorithm")
	r.expect("b5 SORT (DATE) UTF-8 SINCE 31-Feb-2026", `b5 BAD [CLIENTBUG] SORT: SINCE "31-Feb-2026" is not a date (RFC 3501 9: d-Mon-yyyy, as in 2-Jan-2006)`)
	r.expect("b6 THREAD REFERENCES UTF-8", `~b6 BAD \[CLIENTBUG\] Syntax error: .*`)
	r.expect("b7 NOOP", "b7 OK NOOP completed")
}

// go-imap's client reads the SORT and THREAD responses as a client of
// another implementation would.
func TestSortAndThreadWithClient(t *testing.T) {
	e := newEnv(t)
	appendSortFixture(t, e)
	c := e.dial(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	nums, err := c.UIDSort(&imapclient.SortOptions{
		SearchCriteria: &imap.SearchCriteria{},
		SortCriteria:   []imapclient.SortCriterion{{Key: imapclient.SortKeySubject}, {Key: imapclient.SortKeyDate, Reverse: true}},
	}).Wait()
	if err != nil || fmt.Sprint(nums) != "[6 3 4 2 1 5]" {
		t.Errorf("UID SORT (SUBJECT REVERSE DATE): %v, %v", nums, err)
	}
	threads, err := c.Thread(&imapclient.ThreadOptions{Algorithm: imap.ThreadReferences, SearchCriteria: &imap.SearchCriteria{}}).Wait()
	// (1 (5)(2 3)(4))(6): "Fwd: plans" joins the thread of "Plans" (RFC
	// 5256 step 5), and 6's missing parent is dropped.
	if err != nil || len(threads) != 2 || fmt.Sprint(threads[0].Chain) != "[1]" || len(threads[0].SubThreads) != 3 ||
		fmt.Sprint(threads[0].SubThreads[1].Chain) != "[2 3]" || fmt.Sprint(threads[1].Chain) != "[6]" {
		t.Errorf("THREAD REFERENCES: %+v, %v", threads, err)
	}
}

// The capability list names exactly what the server implements: each
// entry has its tests (CONDSTORE and QRESYNC in condstore_test.go, SORT
// and THREAD here, the rest across the package), and nothing else.
func TestCapabilitiesAreImplemented(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	r.expect("c1 CAPABILITY", "* CAPABILITY IMAP4rev1 ID SASL-IR UNSELECT ENABLE IDLE UTF8=ACCEPT NAMESPACE UIDPLUS "+
		"ESEARCH LIST-EXTENDED LIST-STATUS MOVE STATUS=SIZE BINARY CHILDREN SPECIAL-USE CREATE-SPECIAL-USE LITERAL+ "+
		"CONDSTORE QRESYNC SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES APPENDLIMIT="+fmt.Sprint(e.srv.limit), "c1 OK CAPABILITY completed")
}

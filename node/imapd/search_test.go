package imapd

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func TestSearch(t *testing.T) {
	e := newEnv(t)
	c := e.dial(nil)
	a := appendIMAP(t, c, "INBOX", testMessage("alpha", 100), imap.FlagSeen)
	b := appendIMAP(t, c, "INBOX", testMessage("beta", 5000), imap.FlagFlagged)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	today := time.Now()
	for _, tc := range []struct {
		name string
		crit imap.SearchCriteria
		want []imap.UID
	}{
		{"all", imap.SearchCriteria{}, []imap.UID{a.UID, b.UID}},
		{"unseen", imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, []imap.UID{b.UID}},
		{"flagged", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagFlagged}}, []imap.UID{b.UID}},
		{"subject", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "ALPHA"}}}, []imap.UID{a.UID}},
		{"body", imap.SearchCriteria{Body: []string{"lazy dog"}}, []imap.UID{a.UID, b.UID}},
		{"text in header", imap.SearchCriteria{Text: []string{"beta@yggmail"}}, []imap.UID{b.UID}},
		{"larger", imap.SearchCriteria{Larger: 1000}, []imap.UID{b.UID}},
		{"smaller", imap.SearchCriteria{Smaller: 1000}, []imap.UID{a.UID}},
		{"since today", imap.SearchCriteria{Since: today}, []imap.UID{a.UID, b.UID}},
		{"before today", imap.SearchCriteria{Before: today}, nil},
		{"sent before 2027", imap.SearchCriteria{SentBefore: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, []imap.UID{a.UID, b.UID}},
		{"uid", imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(b.UID)}}, []imap.UID{b.UID}},
		{"not", imap.SearchCriteria{Not: []imap.SearchCriteria{{Flag: []imap.Flag{imap.FlagSeen}}}}, []imap.UID{b.UID}},
		{"or", imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{{Larger: 1000}, {Flag: []imap.Flag{imap.FlagSeen}}}}}, []imap.UID{a.UID, b.UID}},
	} {
		data, err := c.UIDSearch(&tc.crit, nil).Wait()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := data.AllUIDs()
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}

func TestCloseEndsIdleSessions(t *testing.T) {
	e := newEnv(t)
	c := e.dial(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Idle(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return while a client was in IDLE")
	}
	e.srvHubsEmpty(t)
	select {
	case <-c.Closed():
	case <-time.After(10 * time.Second):
		t.Fatal("client connection still open after Close")
	}
}

// srvHubsEmpty checks that no mailbox hub (and so no watcher goroutine) is
// left once the server has closed.
func (e *testEnv) srvHubsEmpty(t *testing.T) {
	t.Helper()
	if e.lastSrv == nil {
		t.Fatal("no server recorded")
	}
	e.lastSrv.mu.Lock()
	defer e.lastSrv.mu.Unlock()
	if n := len(e.lastSrv.hubs); n != 0 {
		t.Errorf("%d mailbox hubs still running after Close", n)
	}
}

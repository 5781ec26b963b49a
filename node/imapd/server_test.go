package imapd

import (
	"bytes"
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/mailbox"
)

func TestLogin(t *testing.T) {
	e := newEnv(t)
	c, err := imapclient.DialInsecure(e.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Login(testUser, "wrong").Wait()
	var imapErr *imap.Error
	if !asIMAPError(err, &imapErr) || imapErr.Code != imap.ResponseCodeAuthenticationFailed {
		t.Fatalf("bad password: got %v, want NO [AUTHENTICATIONFAILED]", err)
	}
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatalf("good password: %v", err)
	}
	caps := c.Caps()
	for _, want := range []imap.Cap{imap.CapIMAP4rev1, imap.CapIdle, imap.CapMove, imap.CapUIDPlus, imap.CapSpecialUse} {
		if !caps.Has(want) {
			t.Errorf("capability %s missing after login: %v", want, caps)
		}
	}
}

func TestListSpecialUse(t *testing.T) {
	e := newEnv(t)
	c := e.dial(nil)
	if err := c.Create("Projects/Yggpost", nil).Wait(); err != nil {
		t.Fatalf("create: %v", err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	attrs := map[string][]imap.MailboxAttr{}
	for _, l := range list {
		attrs[l.Mailbox] = l.Attrs
		if l.Delim != '/' {
			t.Errorf("%s: delimiter %q", l.Mailbox, l.Delim)
		}
	}
	want := map[string]imap.MailboxAttr{
		"Sent": imap.MailboxAttrSent, "Drafts": imap.MailboxAttrDrafts, "Trash": imap.MailboxAttrTrash,
		"Junk": imap.MailboxAttrJunk, "Archive": imap.MailboxAttrArchive,
		"Projects": imap.MailboxAttrHasChildren, "Projects/Yggpost": imap.MailboxAttrHasNoChildren,
	}
	for name, attr := range want {
		if !slices.Contains(attrs[name], attr) {
			t.Errorf("%s: attributes %v lack %s", name, attrs[name], attr)
		}
	}
	if _, ok := attrs["INBOX"]; !ok {
		t.Errorf("INBOX not listed: %v", attrs)
	}
	if err := c.Subscribe("Projects/Yggpost").Wait(); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	subs, err := c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
	if err != nil {
		t.Fatalf("list subscribed: %v", err)
	}
	found := false
	for _, l := range subs {
		found = found || l.Mailbox == "Projects/Yggpost"
	}
	if !found {
		t.Errorf("subscribed mailbox missing from %v", subs)
	}
}

func TestAppendFetchIdentical(t *testing.T) {
	e := newEnv(t)
	c := e.dial(nil)
	small := testMessage("small", 300)
	big := testMessage("big", 20<<20)
	a1 := appendIMAP(t, c, "INBOX", small)
	a2 := appendIMAP(t, c, "INBOX", big, imap.FlagFlagged)
	if a2.UID <= a1.UID || a1.UIDValidity == 0 {
		t.Fatalf("APPENDUID: %+v then %+v", a1, a2)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 2 || sel.UIDNext != a2.UID+1 || sel.UIDValidity != a1.UIDValidity {
		t.Fatalf("select: %+v", sel)
	}
	for _, tc := range []struct {
		uid  imap.UID
		body []byte
	}{{a1.UID, small}, {a2.UID, big}} {
		whole := &imap.FetchItemBodySection{Peek: true}
		text := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText, Peek: true}
		part := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 10, Size: 20}}
		fields := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Subject"}, Peek: true}
		msgs, err := c.Fetch(imap.UIDSetNum(tc.uid), &imap.FetchOptions{
			UID: true, RFC822Size: true, Envelope: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
			BodySection: []*imap.FetchItemBodySection{whole, text, part, fields},
		}).Collect()
		if err != nil || len(msgs) != 1 {
			t.Fatalf("fetch uid %d: %v (%d messages)", tc.uid, err, len(msgs))
		}
		m := msgs[0]
		if !bytes.Equal(m.FindBodySection(whole), tc.body) {
			t.Errorf("uid %d: BODY[] differs (%d bytes, want %d)", tc.uid, len(m.FindBodySection(whole)), len(tc.body))
		}
		hdrEnd := bytes.Index(tc.body, []byte("\r\n\r\n")) + 4
		if !bytes.Equal(m.FindBodySection(text), tc.body[hdrEnd:]) {
			t.Errorf("uid %d: BODY[TEXT] differs", tc.uid)
		}
		if got := m.FindBodySection(part); !bytes.Equal(got, tc.body[10:30]) {
			t.Errorf("uid %d: BODY[]<10.20> = %q", tc.uid, got)
		}
		if got := string(m.FindBodySection(fields)); !bytes.HasPrefix([]byte(got), []byte("Subject: ")) {
			t.Errorf("uid %d: HEADER.FIELDS (Subject) = %q", tc.uid, got)
		}
		if m.RFC822Size != int64(len(tc.body)) || m.Envelope == nil || m.Envelope.From[0].Host != "yggmail" {
			t.Errorf("uid %d: size %d envelope %+v", tc.uid, m.RFC822Size, m.Envelope)
		}
		if bs, ok := m.BodyStructure.(*imap.BodyStructureSinglePart); !ok || bs.Type != "text" || int(bs.Size) != len(tc.body)-hdrEnd {
			t.Errorf("uid %d: body structure %#v", tc.uid, m.BodyStructure)
		}
	}
}

func TestSeenOnBodyFetch(t *testing.T) {
	e := newEnv(t)
	c := e.dial(nil)
	a := appendIMAP(t, c, "INBOX", testMessage("seen", 100))
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSetNum(a.UID), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{}}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch: %v", err)
	}
	if !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
		t.Errorf("BODY[] fetch response flags %v lack \\Seen", msgs[0].Flags)
	}
	got, err := e.store.Messages("INBOX")
	if err != nil || len(got) != 1 || !slices.Contains(got[0].Flags, mailbox.FlagSeen) {
		t.Errorf("stored flags after BODY[] fetch: %+v %v", got, err)
	}
}

func asIMAPError(err error, target **imap.Error) bool {
	e, ok := err.(*imap.Error)
	if ok {
		*target = e
	}
	return ok
}

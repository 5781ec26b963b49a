package imapd

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
)

// updates collects the unsolicited responses of one client.
type updates struct {
	exists  chan uint32
	expunge chan uint32
	flags   chan []imap.Flag
}

func newUpdates() (*updates, *imapclient.UnilateralDataHandler) {
	u := &updates{exists: make(chan uint32, 64), expunge: make(chan uint32, 64), flags: make(chan []imap.Flag, 64)}
	return u, &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				u.exists <- *d.NumMessages
			}
		},
		Expunge: func(seq uint32) { u.expunge <- seq },
		Fetch: func(msg *imapclient.FetchMessageData) {
			buf, err := msg.Collect()
			if err == nil && buf.Flags != nil {
				u.flags <- buf.Flags
			}
		},
	}
}

func TestIdleSeesDeliveryAppendExpungeAndFlags(t *testing.T) {
	e := newEnv(t)
	u, h := newUpdates()
	idler := e.dial(h)
	other := e.dial(nil)
	if _, err := idler.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := idler.Idle()
	if err != nil {
		t.Fatal(err)
	}
	// Delivery straight into the store, as SMTP does.
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("delivered", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	testkit.Receive(t, 10*time.Second, "EXISTS 1 after store delivery", u.exists, func(n uint32) bool { return n == 1 })
	a := appendIMAP(t, other, "INBOX", testMessage("appended", 10))
	testkit.Receive(t, 10*time.Second, "EXISTS 2 after APPEND by another session", u.exists, func(n uint32) bool { return n == 2 })
	if err := other.Store(imap.UIDSetNum(a.UID), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	testkit.Receive(t, 10*time.Second, "FETCH (FLAGS (\\Deleted))", u.flags, func(f []imap.Flag) bool { return slices.Contains(f, imap.FlagDeleted) })
	if err := other.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	testkit.Receive(t, 10*time.Second, "EXPUNGE 2", u.expunge, func(n uint32) bool { return n == 2 })
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := idler.Fetch(imap.SeqSetNum(1, 2), &imap.FetchOptions{UID: true}).Collect()
	if err != nil || len(msgs) != 1 || msgs[0].SeqNum != 1 {
		t.Fatalf("after expunge: %+v %v", msgs, err)
	}
}

func TestNoopDeliversUpdates(t *testing.T) {
	e := newEnv(t)
	u, h := newUpdates()
	c := e.dial(h)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("x", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	// The hub applies the change asynchronously; NOOP until it shows.
	for i := 0; ; i++ {
		if err := c.Noop().Wait(); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-u.exists:
			if n != 1 {
				t.Fatalf("EXISTS %d, want 1", n)
			}
			return
		default:
		}
		if i > 1000 {
			t.Fatal("no EXISTS after 1000 NOOPs")
		}
	}
}

func TestFlagsPersistAcrossRestart(t *testing.T) {
	e := newEnv(t)
	c := e.dial(nil)
	a := appendIMAP(t, c, "INBOX", testMessage("persist", 10))
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	set := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, "$Label1"}}
	if _, err := c.Store(imap.UIDSetNum(a.UID), set, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	e.stop()
	e.start()
	c = e.dial(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSetNum(a.UID), &imap.FetchOptions{Flags: true}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch: %v", err)
	}
	if !slices.Contains(msgs[0].Flags, imap.FlagFlagged) || !slices.Contains(msgs[0].Flags, "$Label1") {
		t.Errorf("flags after restart: %v", msgs[0].Flags)
	}
}

func TestCopyMoveUIDs(t *testing.T) {
	e := newEnv(t)
	c := e.dial(nil)
	var uids []imap.UID
	for _, s := range []string{"one", "two", "three"} {
		uids = append(uids, appendIMAP(t, c, "INBOX", testMessage(s, 10)).UID)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	cp, err := c.Copy(imap.UIDSetNum(uids[0]), "Archive").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if cp.SourceUIDs.String() != imap.UIDSetNum(uids[0]).String() || cp.DestUIDs.String() != "1" {
		t.Errorf("COPYUID %v -> %v", cp.SourceUIDs, cp.DestUIDs)
	}
	mv, err := c.Move(imap.UIDSetNum(uids[1], uids[2]), "Archive").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if mv.DestUIDs.String() != "2:3" {
		t.Errorf("MOVE dest UIDs %v", mv.DestUIDs)
	}
	if n := c.Mailbox().NumMessages; n != 1 {
		t.Errorf("INBOX has %d messages after MOVE, want 1", n)
	}
	st, err := c.Status("Archive", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != 3 {
		t.Fatalf("Archive status %+v %v", st, err)
	}
	if _, err := c.Move(imap.UIDSetNum(uids[0]), "Nowhere").Wait(); err == nil {
		t.Error("MOVE to a missing mailbox succeeded")
	}
}

func TestUIDNextNeverDecreases(t *testing.T) {
	e := newEnv(t)
	c := e.dial(nil)
	a := appendIMAP(t, c, "INBOX", testMessage("last", 10), imap.FlagDeleted)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 0 || sel.UIDNext != a.UID+1 {
		t.Fatalf("after expunging the last message: %d messages, UIDNEXT %d (want %d)", sel.NumMessages, sel.UIDNext, a.UID+1)
	}
	b := appendIMAP(t, c, "INBOX", testMessage("next", 10))
	if b.UID != a.UID+1 {
		t.Errorf("next UID %d, want %d", b.UID, a.UID+1)
	}
}

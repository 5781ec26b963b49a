package imapd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
)

// A COPY of a message another session expunged, before this session was
// told, copies what the store still retains for it (RFC 2180 4.4.2); a
// COPY that copies nothing answers a plain OK: no COPYUID with empty sets
// (which broke the response line), and the session goes on.
func TestCopyOfAMessageExpungedElsewhere(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("doomed", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	b := dialRaw(t, e.addr)
	b.login()
	b.send("s SELECT INBOX")
	b.until("s OK")
	msgs, err := e.store.Messages("INBOX")
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages: %v %v", msgs, err)
	}
	if _, err := e.store.StoreFlags("INBOX", []uint32{msgs[0].UID}, mailbox.FlagsAdd, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	if gone, err := e.store.Expunge("INBOX", []uint32{msgs[0].UID}); err != nil || len(gone) != 1 {
		t.Fatalf("expunge: %v %v", gone, err)
	}
	b.send("c COPY 1 Archive")
	got := b.until("c ")
	if last := got[len(got)-1]; !strings.HasPrefix(last, "c OK [COPYUID ") {
		t.Errorf("COPY of a message expunged elsewhere: %q; want it copied", got)
	}
	b.send("u UID COPY 99 Archive")
	got = b.until("u ")
	if last := got[len(got)-1]; !strings.HasPrefix(last, "u OK") || strings.Contains(last, "COPYUID") {
		t.Errorf("COPY of nothing: %q; want a plain OK", got)
	}
	b.send("d NOOP")
	if got := b.until("d "); !strings.HasPrefix(got[len(got)-1], "d OK") {
		t.Errorf("the session after the COPY: %q", got)
	}
}

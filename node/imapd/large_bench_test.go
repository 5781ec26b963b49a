package imapd

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/mailbox"
)

// largeMailbox fills INBOX with n small messages through the store and
// returns a client that has it selected, as a mail client in IDLE would.
func largeMailbox(b *testing.B, n int) (*testEnv, *imapclient.Client) {
	e := newEnv(b)
	for i := range n {
		msg := fmt.Sprintf("From: u%d@example.org\r\nSubject: message %d\r\n\r\nbody\r\n", i%37, i)
		if _, _, err := e.store.Append("INBOX", bytes.NewReader([]byte(msg)), mailbox.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	c := e.dial(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		b.Fatal(err)
	}
	return e, c
}

// BenchmarkStoreFlagInLargeMailbox is one UID STORE +FLAGS (\Seen) on a
// message of a selected INBOX of 20,000: what marking a message read costs.
func BenchmarkStoreFlagInLargeMailbox(b *testing.B) {
	const n = 20000
	_, c := largeMailbox(b, n)
	i := 0
	for b.Loop() {
		uid := imap.UIDSetNum(imap.UID(i%n + 1))
		op := imap.StoreFlagsAdd
		if (i/n)%2 == 1 {
			op = imap.StoreFlagsDel
		}
		if err := c.Store(uid, &imap.StoreFlags{Op: op, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAppendToLargeSelectedMailbox is one APPEND of a 1 KiB message
// to an INBOX of 20,000 that the same client has selected.
func BenchmarkAppendToLargeSelectedMailbox(b *testing.B) {
	_, c := largeMailbox(b, 20000)
	msg := testMessage("appended", 1024)
	for b.Loop() {
		appendIMAP(b, c, "INBOX", msg)
	}
}

// BenchmarkDeliveryIntoLargeSelectedMailbox is one message added to an
// INBOX of 20,000 by the store (as a delivery is), until the client that
// has it selected and is in IDLE hears of it.
func BenchmarkDeliveryIntoLargeSelectedMailbox(b *testing.B) {
	e, _ := largeMailbox(b, 20000)
	exists := make(chan uint32, 16)
	c := e.dial(&imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
		if d.NumMessages != nil {
			exists <- *d.NumMessages
		}
	}})
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		b.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		b.Fatal(err)
	}
	defer idle.Close()
	msg := testMessage("delivered", 1024)
	for b.Loop() {
		if _, _, err := e.store.Append("INBOX", bytes.NewReader(msg), mailbox.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
		<-exists
	}
}

package nodetest

import (
	"bytes"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
)

// submission opens an SMTP session to the node, logged in with AUTH PLAIN.
func (tn *Node) submission() (*smtp.Client, error) {
	c, err := smtp.Dial(tn.SMTPAddr)
	if err != nil {
		return nil, fmt.Errorf("dial SMTP: %w", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", tn.Addr.String(), Password)); err != nil {
		c.Close()
		return nil, fmt.Errorf("AUTH: %w", err)
	}
	return c, nil
}

// Send submits one message through the node's SMTP server with AUTH PLAIN.
func (tn *Node) Send(to []envelope.Address, msg []byte) error {
	c, err := tn.submission()
	if err != nil {
		return err
	}
	defer c.Close()
	var rcpts []string
	for _, r := range to {
		rcpts = append(rcpts, r.String())
	}
	if err := c.SendMail(tn.Addr.String(), rcpts, bytes.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

// SendMany submits messages to one recipient over one SMTP connection, as
// a mail client with a queue of its own does.
func (tn *Node) SendMany(to envelope.Address, msgs [][]byte) error {
	c, err := tn.submission()
	if err != nil {
		return err
	}
	defer c.Close()
	for i, msg := range msgs {
		if err := c.SendMail(tn.Addr.String(), []string{to.String()}, bytes.NewReader(msg)); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	return c.Quit()
}

// MustSend is Send to one recipient that fails the test on error.
func (tn *Node) MustSend(to envelope.Address, msg []byte) {
	tn.T.Helper()
	if err := tn.Send([]envelope.Address{to}, msg); err != nil {
		tn.T.Fatalf("%s sends: %v", tn.Name, err)
	}
}

// IMAP logs in to the node's IMAP server; the client is closed when the
// test ends.
func (tn *Node) IMAP() *imapclient.Client {
	tn.T.Helper()
	c, err := imapclient.DialInsecure(tn.IMAPAddr, nil)
	if err != nil {
		tn.T.Fatalf("dial IMAP of %s: %v", tn.Name, err)
	}
	tn.T.Cleanup(func() { c.Close() })
	if err := c.Login(tn.Addr.String(), Password).Wait(); err != nil {
		tn.T.Fatalf("IMAP login to %s: %v", tn.Name, err)
	}
	return c
}

// WaitInbox waits until INBOX holds want messages and returns their full
// bodies in UID order. It fails the test if more arrive or the deadline
// passes.
func (tn *Node) WaitInbox(want int, within time.Duration) [][]byte {
	tn.T.Helper()
	c := tn.IMAP()
	var have uint32
	testkit.Poll(within, func() bool {
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			tn.T.Fatalf("STATUS INBOX on %s: %v", tn.Name, err)
		}
		have = *st.NumMessages
		return int(have) >= want
	})
	if int(have) != want {
		tn.T.Fatalf("%s INBOX has %d messages, want %d (waited %s)", tn.Name, have, want, within)
	}
	return tn.FetchAll(c)
}

// FetchAll returns the full body of every message in INBOX, in UID order.
func (tn *Node) FetchAll(c *imapclient.Client) [][]byte {
	tn.T.Helper()
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		tn.T.Fatalf("SELECT INBOX on %s: %v", tn.Name, err)
	}
	var all imap.UIDSet
	all.AddRange(1, 0)
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		tn.T.Fatalf("FETCH on %s: %v", tn.Name, err)
	}
	var out [][]byte
	for _, m := range msgs {
		out = append(out, m.FindBodySection(section))
	}
	return out
}

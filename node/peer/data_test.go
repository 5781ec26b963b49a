package peer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/yggpost/yggpost/envelope"
)

// legacyStore also accepts classic DATA messages.
type legacyStore struct {
	store
	mu       sync.Mutex
	messages [][]byte
	msgErr   []error
}

func (l *legacyStore) ReceiveMessage(_ context.Context, peer, rcpt envelope.Address, r io.Reader) error {
	b, err := io.ReadAll(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.msgErr = append(l.msgErr, err)
		return err
	}
	if peer != alice || rcpt != bob {
		return errors.New("wrong addresses")
	}
	l.messages = append(l.messages, b)
	return nil
}

func (l *legacyStore) got() ([][]byte, []error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]byte(nil), l.messages...), append([]error(nil), l.msgErr...)
}

const classicMessage = "From: " + "a@yggmail\r\nSubject: dots\r\n\r\n.\r\n..two\r\n.x\r\nend\r\n"

// A classic client (go-smtp's, as original Yggmail nodes use) delivers with
// DATA; the message arrives byte for byte, dot-stuffing undone.
func TestServerClassicDATA(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ls := &legacyStore{}
			c, s := tr.pair(t)
			done := serve(t, newServer(ls), s, alice)
			if _, err := c.Write([]byte(" ")); err != nil {
				t.Fatal(err)
			}
			sc := smtp.NewClient(c)
			if err := sc.SendMail(alice.String(), []string{bob.String()}, strings.NewReader(classicMessage)); err != nil {
				t.Fatalf("SendMail: %v", err)
			}
			if err := sc.Quit(); err != nil {
				t.Fatalf("Quit: %v", err)
			}
			if err := wait(t, done, "ServeConn"); err != nil {
				t.Fatalf("ServeConn: %v", err)
			}
			msgs, _ := ls.got()
			equalPayloads(t, msgs, []byte(classicMessage))
		})
	}
}

func TestServerDATAOverLimitCloses(t *testing.T) {
	ls := &legacyStore{}
	srv := newServer(ls)
	srv.MaxSize = 100
	r, done := rawSession(t, srv)
	r.startTx(alice, 0)
	r.cmd("DATA", "354 ")
	r.write(strings.Repeat("0123456789\r\n", 20) + ".\r\n")
	r.expect("552 5.3.4")
	r.expectClosed()
	if err := wait(t, done, "ServeConn"); err == nil {
		t.Fatal("ServeConn returned nil")
	}
	if msgs, errs := ls.got(); len(msgs) != 0 || len(errs) != 1 || !errors.Is(errs[0], errTooLarge) {
		t.Fatalf("stored %d, errors %v", len(msgs), errs)
	}
}

func TestServerDATACutShort(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ls := &legacyStore{}
			c, s := tr.pair(t)
			done := serve(t, newServer(ls), s, alice)
			r := openRaw(t, c)
			r.cmd("EHLO x", "250 ")
			r.cmd("MAIL FROM:<"+alice.String()+"> BODY=8BITMIME", "250 ")
			r.cmd("RCPT TO:<"+bob.String()+">", "250 ")
			r.cmd("DATA", "354 ")
			r.write("Subject: x\r\n\r\nno end")
			c.Close()
			if err := wait(t, done, "ServeConn"); err == nil {
				t.Fatal("ServeConn returned nil")
			}
			if msgs, errs := ls.got(); len(msgs) != 0 || len(errs) != 1 || !errors.Is(errs[0], io.ErrUnexpectedEOF) {
				t.Fatalf("stored %d, errors %v", len(msgs), errs)
			}
		})
	}
}

func TestServerDATASequenceAndLongLines(t *testing.T) {
	ls := &legacyStore{}
	r, _ := rawSession(t, newServer(ls))
	r.cmd("EHLO x", "250 ")
	r.cmd("DATA", "503 5.5.1")
	r.startTx(alice, 0)
	long := strings.Repeat("y", 9000) // longer than the read buffer, starting with a dot
	r.cmd("DATA", "354 ")
	r.write("." + long + "\r\n.\r\n")
	r.expect("250 2.0.0")
	r.cmd("NOOP", "250 ")
	if msgs, _ := ls.got(); len(msgs) != 1 || !bytes.Equal(msgs[0], []byte(long+"\r\n")) {
		t.Fatalf("stored %d messages, first %d octets", len(msgs), len(msgs[0]))
	}
}

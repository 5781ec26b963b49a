package peer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The classic DATA client against our server with a MessageReceiver: the
// message arrives byte for byte, dots and all.
func TestClientSendMessage(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			ls := &legacyStore{}
			c, s := tr.pair(t)
			done := serve(t, newServer(ls), s, alice)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			sc, err := (&Client{Local: alice}).Open(ctx, c)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if err := sc.SendMessage(ctx, bob, int64(len(classicMessage)), strings.NewReader(classicMessage)); err != nil {
				t.Fatalf("SendMessage: %v", err)
			}
			if err := sc.Quit(ctx); err != nil {
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

// A refusal of the recipient comes back typed, and the session stays usable.
func TestClientSendMessageRefused(t *testing.T) {
	ls, sc, ctx := openClassic(t)
	err := sc.SendMessage(ctx, alice, int64(len(classicMessage)), strings.NewReader(classicMessage))
	var perr *Error
	if !errors.As(err, &perr) || perr.Code != 550 {
		t.Fatalf("err = %v, want a 550 refusal of the recipient", err)
	}
	if err := sc.SendMessage(ctx, bob, int64(len(classicMessage)), strings.NewReader(classicMessage)); err != nil {
		t.Fatalf("second message on the same session: %v", err)
	}
	if msgs, _ := ls.got(); len(msgs) != 1 {
		t.Fatalf("stored %d messages, want 1", len(msgs))
	}
}

// Bare LF line ends are sent as CR LF, and a message without a final line
// end still ends cleanly.
func TestClientSendMessageNormalisesLineEnds(t *testing.T) {
	ls, sc, ctx := openClassic(t)
	msg := "Subject: lf\n\n.dot\nno final newline"
	if err := sc.SendMessage(ctx, bob, int64(len(msg)), strings.NewReader(msg)); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	msgs, _ := ls.got()
	equalPayloads(t, msgs, []byte("Subject: lf\r\n\r\n.dot\r\nno final newline\r\n"))
}

// openClassic serves a legacyStore over a pipe and opens a client session
// to it.
func openClassic(t *testing.T) (*legacyStore, *ClientConn, context.Context) {
	t.Helper()
	ls := &legacyStore{}
	c, s := transports[0].pair(t)
	serve(t, newServer(ls), s, alice)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	sc, err := (&Client{Local: alice}).Open(ctx, c)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return ls, sc, ctx
}

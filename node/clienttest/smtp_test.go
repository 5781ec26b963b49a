package clienttest_test

import (
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/node/nodetest"
)

// send submits one message through the node's SMTP server with AUTH
// PLAIN, as the node's owner.
func (tn *testNode) send(t testing.TB, to []string, msg string) {
	t.Helper()
	c, err := smtp.Dial(tn.SMTPAddr)
	if err != nil {
		t.Fatalf("dial SMTP of %s: %v", tn.Name, err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", tn.addr, nodetest.Password)); err != nil {
		t.Fatalf("AUTH PLAIN on %s: %v", tn.Name, err)
	}
	if err := c.SendMail(tn.addr, to, strings.NewReader(msg)); err != nil {
		t.Fatalf("%s sends to %v: %v", tn.Name, to, err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("QUIT on %s: %v", tn.Name, err)
	}
}

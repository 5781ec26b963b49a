package smtpd

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/clientsec"
	"github.com/yggpost/yggpost/internal/loginguard"
)

// A burst of wrong passwords from one address is slowed down (the guard's
// delays, counted instead of slept) and then refused with 454 4.7.0 and a
// reason; the right password from another address (loopback here) is
// taken at once.
func TestLoginGuardSlowsAndRefusesGuessing(t *testing.T) {
	var delays atomic.Int32
	guard := loginguard.New(loginguard.Options{Sleep: func(context.Context, time.Duration) error {
		delays.Add(1)
		return nil
	}})
	s := newServer(newFileSubmitter(t), func(o *Options) {
		o.Guard, o.Policy = guard, clientsec.Policy{AllowPlain: true}
	})
	guessing := serveOn(t, s, s.Serve, fromOtherMachine)
	loopback := serveOn(t, s, s.Serve, nil)

	r := dialRaw(t, guessing)
	r.cmd("EHLO client.test", 250, "")
	for i := range loginguard.DefaultRefuseAfter {
		r.cmd("AUTH PLAIN "+plainIR(local.String(), "wrong"+strings.Repeat("x", i)), 535, "")
	}
	msg := r.cmd("AUTH PLAIN "+plainIR(local.String(), testPassword), 454, "too many failed logins from 192.0.2.7")
	if !strings.HasPrefix(msg, "4.7.0 ") {
		t.Errorf("refusal %q, want enhanced code 4.7.0", msg)
	}
	if got, want := delays.Load(), int32(loginguard.DefaultRefuseAfter-loginguard.FreeFailures); got != want {
		t.Errorf("%d logins were delayed, want %d (all but the first %d failures)", got, want, loginguard.FreeFailures)
	}

	before := delays.Load()
	other := dialRaw(t, loopback)
	other.login()
	if delays.Load() != before {
		t.Error("the right password from another address was delayed")
	}
}

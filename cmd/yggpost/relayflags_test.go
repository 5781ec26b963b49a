package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/relay"
)

const (
	addrA = "0000000000000000000000000000000000000000000000000000000000000001@yggmail"
	addrB = "00000000000000000000000000000000000000000000000000000000000000ff@yggmail"
)

func parseOK(t *testing.T, args ...string) options {
	t.Helper()
	var stderr bytes.Buffer
	o, _, err := parseFlags(args, &stderr)
	if err != nil {
		t.Fatalf("%v: %v (stderr %q)", args, err, stderr.String())
	}
	return o
}

func TestRelayFlagDefaults(t *testing.T) {
	if o := parseOK(t); o.cfg.Relay != nil || len(o.cfg.Relays) != 0 {
		t.Fatalf("no relay flags: Relay %+v, Relays %v", o.cfg.Relay, o.cfg.Relays)
	}
	r := parseOK(t, "-relay").cfg.Relay
	if r == nil {
		t.Fatal("-relay: no relay options")
	}
	want := relay.Options{
		Policy: relay.PolicyOpen, MemberBytes: 1 << 30, MemberEnvelopes: 20000,
		Retention: 14 * 24 * time.Hour, MaxEnvelope: relay.DefaultMaxEnvelope, Forward: true,
	}
	if got := *r; !sameOptions(got, want) {
		t.Errorf("-relay options = %+v, want %+v", got, want)
	}
}

func sameOptions(a, b relay.Options) bool {
	return a.Policy == b.Policy && a.MemberBytes == b.MemberBytes && a.MemberEnvelopes == b.MemberEnvelopes &&
		a.Retention == b.Retention && a.MaxEnvelope == b.MaxEnvelope && a.Forward == b.Forward &&
		len(a.Allow) == len(b.Allow)
}

func TestRelayFlagsSet(t *testing.T) {
	o := parseOK(t, "-relay", "-relay-policy", "allowlist", "-relay-allow", addrA+","+addrB,
		"-relay-allow", strings.ToUpper(addrA[:64])+"@yggmail", "-relay-quota-bytes", "500MB",
		"-relay-quota-envelopes", "77", "-relay-retention", "2d12h", "-relay-max-envelope", "70MiB",
		"-relay-forward=false")
	r := o.cfg.Relay
	want := relay.Options{
		Policy: relay.PolicyAllowlist, MemberBytes: 500e6, MemberEnvelopes: 77,
		Retention: 60 * time.Hour, MaxEnvelope: 70 << 20, Forward: false,
		Allow: make([]envelope.Address, 3),
	}
	if !sameOptions(*r, want) {
		t.Errorf("options = %+v, want %+v", *r, want)
	}
	if r.Allow[0].String() != addrA || r.Allow[1].String() != addrB || r.Allow[2] != r.Allow[0] {
		t.Errorf("allow = %v", r.Allow)
	}
	if p := parseOK(t, "-relay", "-relay-policy", "invite").cfg.Relay.Policy; p != relay.PolicyInvite {
		t.Errorf("-relay-policy invite: %v", p)
	}
}

func TestRelaysFlag(t *testing.T) {
	o := parseOK(t, "-relays", addrA+"=tok3n,"+addrB, "-relays", "00000000000000000000000000000000000000000000000000000000000000aa@yggmail")
	want := []node.RelayRef{{Invite: "tok3n"}, {}, {}}
	if len(o.cfg.Relays) != len(want) {
		t.Fatalf("relays = %+v", o.cfg.Relays)
	}
	if o.cfg.Relays[0].Address.String() != addrA || o.cfg.Relays[0].Invite != "tok3n" ||
		o.cfg.Relays[1].Address.String() != addrB || o.cfg.Relays[1].Invite != "" {
		t.Errorf("relays = %+v", o.cfg.Relays)
	}
	if o.cfg.Relay != nil {
		t.Error("-relays turned on the relay role")
	}
	if err := o.cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if o := parseOK(t, "-relay-invite", "5"); o.relay.invite != 5 || o.cfg.Relay != nil {
		t.Errorf("-relay-invite 5 alone: invite %d, relay %+v", o.relay.invite, o.cfg.Relay)
	}
}

func TestRelayFlagErrors(t *testing.T) {
	for _, c := range []struct {
		flag string // the flag the message must name
		args []string
		want string // what else the message must say
	}{
		{"-relay-policy", []string{"-relay-policy", "invite"}, "add -relay"},
		{"-relay-allow", []string{"-relay-allow", addrA}, "add -relay"},
		{"-relay-quota-bytes", []string{"-relay-quota-bytes", "1GiB"}, "add -relay"},
		{"-relay-quota-envelopes", []string{"-relay-quota-envelopes", "5"}, "add -relay"},
		{"-relay-retention", []string{"-relay-retention", "3d"}, "add -relay"},
		{"-relay-max-envelope", []string{"-relay-max-envelope", "1MiB"}, "add -relay"},
		{"-relay-forward", []string{"-relay-forward=false"}, "add -relay"},
		{"-relay-forward", []string{"-relay-forward=true"}, "add -relay"},
		{"-relay-policy", []string{"-relay", "-relay-policy", "closed"}, "want open, allowlist or invite"},
		{"-relay-policy", []string{"-relay", "-relay-policy", "Open"}, "want open, allowlist or invite"},
		{"-relay-allow", []string{"-relay", "-relay-allow", addrA}, "needs -relay-policy allowlist"},
		{"-relay-allow", []string{"-relay", "-relay-policy", "invite", "-relay-allow", addrA}, "needs -relay-policy allowlist"},
		{"-relay-policy", []string{"-relay", "-relay-policy", "allowlist"}, "at least one -relay-allow"},
		{"-relay-allow", []string{"-relay", "-relay-policy", "allowlist", "-relay-allow", "bob@yggmail"}, "<64 hex>@yggmail"},
		{"-relay-quota-bytes", []string{"-relay", "-relay-quota-bytes", "lots"}, "whole number of bytes"},
		{"-relay-quota-bytes", []string{"-relay", "-relay-quota-bytes", "0"}, "at least 1 byte"},
		{"-relay-max-envelope", []string{"-relay", "-relay-max-envelope", "-5"}, "whole number of bytes"},
		{"-relay-quota-envelopes", []string{"-relay", "-relay-quota-envelopes", "0"}, "at least 1"},
		{"-relay-quota-envelopes", []string{"-relay", "-relay-quota-envelopes", "many"}, "invalid value"},
		{"-relay-retention", []string{"-relay", "-relay-retention", "2weeks"}, "Go duration"},
		{"-relay-retention", []string{"-relay", "-relay-retention", "0d"}, "longer than zero"},
		{"-relay-forward", []string{"-relay", "-relay-forward=maybe"}, "invalid boolean"},
		{"-relays", []string{"-relays", "relay.example.org"}, "<64 hex>@yggmail"},
		{"-relays", []string{"-relays", addrA + "=" + strings.Repeat("x", relay.MaxTokenLen+1)}, "invite token"},
		{"-relays", []string{"-relays", addrA + "," + addrA}, "named twice"},
		{"-relay-invite", []string{"-relay-invite", "0"}, "from 1 to 1000"},
		{"-relay-invite", []string{"-relay-invite", "1001"}, "from 1 to 1000"},
		{"-relay-invite", []string{"-relay-invite", "two"}, "invalid value"},
	} {
		code, _, errs := runCmd(t, "", append([]string{"-database", t.TempDir() + "/a.db"}, c.args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", c.args, code, exitUsage, errs)
		}
		if !strings.Contains(errs, c.want) || !strings.Contains(errs, c.flag) {
			t.Errorf("%v: message %q does not name %s and say %q", c.args, firstLine(errs), c.flag, c.want)
		}
	}
}

// firstLine is the message without the usage text after it.
func firstLine(s string) string { line, _, _ := strings.Cut(s, "\n"); return line }

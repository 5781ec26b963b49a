package node

import (
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
)

func TestParseRelayRef(t *testing.T) {
	a := envelope.Address{7}
	for in, want := range map[string]RelayRef{
		a.String():                            {Address: a},
		" " + a.String() + " ":                {Address: a},
		a.String() + "=tok-123":               {Address: a, Invite: "tok-123"},
		strings.ToUpper(a.Hex()) + "@yggmail": {Address: a},
	} {
		got, err := ParseRelayRef(in)
		if err != nil || got != want {
			t.Errorf("ParseRelayRef(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "=tok", "relay.example", a.Hex(), a.String() + "=" + strings.Repeat("x", 256), a.String() + "=to ken", a.String() + "=tök"} {
		if _, err := ParseRelayRef(bad); err == nil {
			t.Errorf("ParseRelayRef(%q) accepted", bad)
		}
	}
}

func FuzzParseRelayRef(f *testing.F) {
	f.Add(envelope.Address{7}.String() + "=token")
	f.Add("x=y=z")
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseRelayRef(s)
		if err == nil && (ref.Address.IsZero() && !strings.Contains(s, strings.Repeat("0", 64)) || len(ref.Invite) > 255) {
			t.Errorf("ParseRelayRef(%q) = %+v", s, ref)
		}
	})
}

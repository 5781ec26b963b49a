package conffile

import (
	"errors"
	"fmt"
	"net"
	"regexp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/loglevel"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/transport"
	"github.com/yggpost/yggpost/relay"
)

// checks are the parsers a string value must pass, by the name its field's
// `check` tag gives. Each calls the parser the node itself uses for that
// value, so that the file refuses at start what the node would refuse
// later, and says which key.
var checks = map[string]func(string) error{
	"hostport": checkHostPort,
	"peer":     func(s string) error { _, err := transport.ParsePeerURL(s); return err },
	"listen":   func(s string) error { _, err := transport.ParseListenURL(s); return err },
	"regexp":   func(s string) error { _, err := regexp.Compile(s); return err },
	"relayref": func(s string) error { _, err := node.ParseRelayRef(s); return err },
	"address":  func(s string) error { _, err := envelope.ParseAddress(s); return err },
	"policy":   func(s string) error { _, err := ParsePolicy(s); return err },
	"level":    func(s string) error { _, err := loglevel.Parse(s); return err },
	// node.Config.Validate owns the rule for host names.
	"tlshost": func(s string) error { return node.Config{TLSHosts: []string{s}}.Validate() },
}

// checkHostPort accepts host:port, or nothing for a listener that is off.
func checkHostPort(s string) error {
	if s == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		return fmt.Errorf("want host:port: %w", err)
	}
	return nil
}

// ParsePolicy reads a relay membership policy by its name: open,
// allowlist or invite.
func ParsePolicy(s string) (relay.Policy, error) {
	for _, p := range []relay.Policy{relay.PolicyOpen, relay.PolicyAllowlist, relay.PolicyInvite} {
		if s == p.String() {
			return p, nil
		}
	}
	return 0, errors.New("want open, allowlist or invite")
}

// check refuses relay settings that contradict each other, naming
// the key to change.
func (r Relay) check() error {
	switch {
	case r.QuotaEnvelopes < 1:
		return &Error{Key: "Relay.QuotaEnvelopes", Err: fmt.Errorf("%d: want at least 1", r.QuotaEnvelopes)}
	case len(r.Allow) > 0 && r.Policy != relay.PolicyAllowlist.String():
		return &Error{Key: "Relay.Allow", Err: fmt.Errorf("applies to the allowlist policy only (Relay.Policy is %s)", r.Policy)}
	case r.Enabled && r.Policy == relay.PolicyAllowlist.String() && len(r.Allow) == 0:
		return &Error{Key: "Relay.Allow", Err: errors.New("the allowlist policy needs at least one address")}
	}
	return nil
}

// check refuses what no single value's parser can see.
func (f *File) check() error {
	if (f.TLSCert == "") != (f.TLSKey == "") {
		return &Error{Key: "TLSKey", Err: errors.New("TLSCert and TLSKey go together: give both, or neither for the self-signed certificate")}
	}
	if err := f.Relay.check(); err != nil {
		return err
	}
	// What is left (the number of relays, a relay named twice) the node
	// checks as a whole.
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return &Error{Key: "Relays", Err: err}
	}
	return nil
}

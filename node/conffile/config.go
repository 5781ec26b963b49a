package conffile

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/loglevel"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/relay"
)

// Config returns the node configuration the file describes. The fields a
// file cannot hold (Control, Logger, Observer: the running program's
// choices and objects) are left for the caller.
func (f *File) Config() (node.Config, error) {
	c := node.Config{
		Database:        f.Database,
		SMTPAddr:        f.SMTP,
		IMAPAddr:        f.IMAP,
		IMAPSAddr:       f.IMAPS,
		SubmissionsAddr: f.Submissions,
		TLSCertFile:     f.TLSCert,
		TLSKeyFile:      f.TLSKey,
		TLSHosts:        list(f.TLSHosts),
		AllowPlainAuth:  f.AllowPlainAuth,
		Metrics:         f.Metrics,
		Peers:           list(f.Peers),
		Listen:          list(f.Listen),
		Multicast:       f.Multicast,
		MulticastRegexp: f.MulticastRegexp,
		MaxMessageSize:  int64(f.MaxMessageSize),
		GiveUp:          time.Duration(f.GiveUp),
		NotifyAfter:     time.Duration(f.NotifyAfter),
		ReachTimeout:    time.Duration(f.ReachTimeout),
		ExpireInterval:  time.Duration(f.Relay.ExpireInterval),
	}
	for i, s := range f.Relays {
		ref, err := node.ParseRelayRef(s)
		if err != nil {
			return node.Config{}, &Error{Key: fmt.Sprintf("Relays[%d]", i), Err: err}
		}
		c.Relays = append(c.Relays, ref)
	}
	if !f.Relay.Enabled {
		return c, nil
	}
	opts, err := f.Relay.Options()
	c.Relay = opts
	return c, err
}

// Options returns the relay role's options the section describes. Key,
// Logger and Now are the node's; the bounds no key names (ForwardBytes,
// DepositRate, MaxInvites and the like) keep relay's defaults.
func (r Relay) Options() (*relay.Options, error) {
	policy, err := ParsePolicy(r.Policy)
	if err != nil {
		return nil, &Error{Key: "Relay.Policy", Err: err}
	}
	opts := &relay.Options{
		Policy:          policy,
		MemberBytes:     int64(r.QuotaBytes),
		MemberEnvelopes: r.QuotaEnvelopes,
		Retention:       time.Duration(r.Retention),
		MaxEnvelope:     int64(r.MaxEnvelope),
		Forward:         r.Forward,
	}
	opts.Allow, err = ParseAllow(r.Allow, func(i int, _ string, err error) error {
		return &Error{Key: fmt.Sprintf("Relay.Allow[%d]", i), Err: err}
	})
	if err != nil {
		return nil, err
	}
	return opts, nil
}

// ParseAllow reads a relay's allowlist; bad turns the first address that
// does not parse into the error, named as the caller names its setting.
func ParseAllow(list []string, bad func(i int, s string, err error) error) ([]envelope.Address, error) {
	var out []envelope.Address
	for i, s := range list {
		a, err := envelope.ParseAddress(s)
		if err != nil {
			return nil, bad(i, s, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// Levels returns the log level and the levels of single components
// (LogLevels) the file sets.
func (f *File) Levels() (slog.Level, map[string]slog.Level, error) {
	level, err := loglevel.Parse(f.LogLevel)
	if err != nil {
		return 0, nil, &Error{Key: "LogLevel", Err: err}
	}
	components := make(map[string]slog.Level, len(f.LogLevels))
	for name, s := range f.LogLevels {
		if components[name], err = loglevel.Parse(s); err != nil {
			return 0, nil, &Error{Key: "LogLevels." + name, Err: err}
		}
	}
	return level, components, nil
}

// list copies a list of the file, as nil when empty: what a flag not given
// leaves in node.Config.
func list(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/yggpost/yggpost/internal/loglevel"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/conffile"
)

// confFlags are -genconf, -useconffile and -useconf, and what the file
// they name says beyond node.Config.
type confFlags struct {
	gen   bool
	path  string
	stdin bool
	// level and levels are the log level (LogLevel, or -v) and the levels
	// of single components (LogLevels).
	level  slog.Level
	levels map[string]slog.Level
}

func (c *confFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.gen, "genconf", false, "print a configuration file with every setting, its default and what it does, and exit")
	fs.StringVar(&c.path, "useconffile", "", "run with the settings of the configuration `file` (HJSON, see -genconf); flags given as well win over it")
	fs.BoolVar(&c.stdin, "useconf", false, "read the configuration file from stdin, as -useconffile does from a file")
}

// printConf writes -genconf's text.
func printConf(stdout io.Writer) int {
	if _, err := stdout.Write(conffile.Generate()); err != nil {
		return exitRuntime
	}
	return exitOK
}

// use reads the file -useconffile or -useconf names, if any, and gives
// every setting whose flag is not in set (the flags on the command line)
// the file's value: flags given win over the file, the file over the
// defaults.
func (c *confFlags) use(o *options, set map[string]bool, stdin io.Reader) error {
	if c.stdin && (set["password"] || set["dclogin"] || set["setup"]) {
		return errors.New("-useconf takes stdin, where the password is asked for: use -useconffile")
	}
	f, err := c.read(stdin)
	if f == nil || err != nil {
		return err
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	for _, s := range fileSettings {
		if s.flag == "" || !set[s.flag] {
			s.fill(o, f, cfg)
		}
	}
	if c.path != "" { // stdin cannot be read twice
		o.reload.reread = c.rereader(o, set)
	}
	return nil
}

// rereader returns what a reload reads: the file again, with the flags
// given at start still winning over it. o is read when the reload runs,
// so it holds the settings the node started with.
func (c *confFlags) rereader(o *options, set map[string]bool) func() (reloadable, error) {
	path := c.path
	return func() (reloadable, error) {
		again := confFlags{path: path}
		f, err := again.read(nil)
		if err != nil {
			return reloadable{}, err
		}
		cfg, err := f.Config()
		if err != nil {
			return reloadable{}, err
		}
		r := reloadable{Peers: cfg.Peers, Relays: cfg.Relays}
		if r.Level, r.Levels, err = f.Levels(); err != nil {
			return reloadable{}, err
		}
		if set["peer"] {
			r.Peers = o.cfg.Peers
		}
		if set["relays"] {
			r.Relays = o.cfg.Relays
		}
		if set["v"] {
			r.Level = flagLevel(o.verbose)
		}
		if o.cfg.Relay != nil { // a running relay's limits; relay flags given at start win
			if r.Relay, err = f.Relay.Options(); err != nil {
				return reloadable{}, err
			}
			if r.Relay == nil || relayFlagsGiven(set) {
				r.Relay = o.cfg.Relay
			}
		}
		return r, nil
	}
}

// relayFlagsGiven reports whether a -relay* flag was given at start.
func relayFlagsGiven(set map[string]bool) bool {
	for name := range set {
		if strings.HasPrefix(name, "relay") && name != "relays" {
			return true
		}
	}
	return false
}

// flagLevel is the log level -v asks for, given or given as -v=false.
func flagLevel(verbose bool) slog.Level {
	if verbose {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// read reads the file the flags name; nil, nil when they name none.
func (c *confFlags) read(stdin io.Reader) (*conffile.File, error) {
	switch {
	case c.path != "" && c.stdin:
		return nil, errors.New("-useconffile and -useconf: give one configuration, not two")
	case c.stdin && stdin == nil:
		return nil, errors.New("-useconf: there is no stdin to read the configuration from")
	case c.stdin:
		return conffile.Read("stdin", stdin)
	case c.path != "":
		file, err := os.Open(c.path)
		if err != nil {
			return nil, fmt.Errorf("-useconffile: %w", err)
		}
		defer file.Close()
		return conffile.Read(c.path, file)
	}
	return nil, nil
}

// fileSetting fills the options from one setting of the file, unless the
// flag that also sets it was given; flag "" is a setting only the file
// has.
type fileSetting struct {
	flag string
	fill func(o *options, f *conffile.File, cfg node.Config)
}

// fileSettings are the file's settings and the flags that override them.
// The relay role's are filled into relayFlags, whose apply then checks
// them with the flags and builds cfg.Relay, exactly as for flags alone.
var fileSettings = []fileSetting{
	{"database", func(o *options, _ *conffile.File, c node.Config) { o.cfg.Database = c.Database }},
	{"smtp", func(o *options, _ *conffile.File, c node.Config) { o.cfg.SMTPAddr = c.SMTPAddr }},
	{"imap", func(o *options, _ *conffile.File, c node.Config) { o.cfg.IMAPAddr = c.IMAPAddr }},
	{"imaps", func(o *options, _ *conffile.File, c node.Config) { o.cfg.IMAPSAddr = c.IMAPSAddr }},
	{"submissions", func(o *options, _ *conffile.File, c node.Config) { o.cfg.SubmissionsAddr = c.SubmissionsAddr }},
	{"tls-cert", func(o *options, _ *conffile.File, c node.Config) { o.cfg.TLSCertFile = c.TLSCertFile }},
	{"tls-key", func(o *options, _ *conffile.File, c node.Config) { o.cfg.TLSKeyFile = c.TLSKeyFile }},
	{"tls-host", func(o *options, _ *conffile.File, c node.Config) { o.cfg.TLSHosts = c.TLSHosts }},
	{"allow-plain-auth", func(o *options, _ *conffile.File, c node.Config) { o.cfg.AllowPlainAuth = c.AllowPlainAuth }},
	{"peer", func(o *options, _ *conffile.File, c node.Config) { o.cfg.Peers = c.Peers }},
	{"listen", func(o *options, _ *conffile.File, c node.Config) { o.cfg.Listen = c.Listen }},
	{"multicast", func(o *options, _ *conffile.File, c node.Config) { o.cfg.Multicast = c.Multicast }},
	{"mcastregexp", func(o *options, _ *conffile.File, c node.Config) { o.cfg.MulticastRegexp = c.MulticastRegexp }},
	// relayFlags.apply appends -relays to what is here, so one or the
	// other is used.
	{"relays", func(o *options, _ *conffile.File, c node.Config) { o.cfg.Relays = c.Relays }},
	{"", func(o *options, _ *conffile.File, c node.Config) { o.cfg.MaxMessageSize = c.MaxMessageSize }},
	{"", func(o *options, _ *conffile.File, c node.Config) { o.cfg.GiveUp = c.GiveUp }},
	{"", func(o *options, _ *conffile.File, c node.Config) { o.cfg.NotifyAfter = c.NotifyAfter }},
	{"", func(o *options, _ *conffile.File, c node.Config) { o.cfg.ReachTimeout = c.ReachTimeout }},
	{"", func(o *options, _ *conffile.File, c node.Config) { o.cfg.ExpireInterval = c.ExpireInterval }},
	{"relay", func(o *options, f *conffile.File, _ node.Config) { o.relay.on = f.Relay.Enabled }},
	{"relay-policy", func(o *options, f *conffile.File, _ node.Config) { _ = o.relay.policy.Set(f.Relay.Policy) }}, // checked by conffile
	{"relay-allow", func(o *options, f *conffile.File, _ node.Config) { o.relay.allow = slices.Clone(f.Relay.Allow) }},
	{"relay-quota-bytes", func(o *options, f *conffile.File, _ node.Config) { o.relay.quota = sizeValue(f.Relay.QuotaBytes) }},
	{"relay-quota-envelopes", func(o *options, f *conffile.File, _ node.Config) { o.relay.envelopes = f.Relay.QuotaEnvelopes }},
	{"relay-retention", func(o *options, f *conffile.File, _ node.Config) { o.relay.retention = daysValue(f.Relay.Retention) }},
	{"relay-max-envelope", func(o *options, f *conffile.File, _ node.Config) { o.relay.maxEnv = sizeValue(f.Relay.MaxEnvelope) }},
	{"relay-forward", func(o *options, f *conffile.File, _ node.Config) { o.relay.forward = f.Relay.Forward }},
	// -v asks for debug; given as -v=false it asks for info, whatever
	// LogLevel says. Both were checked by conffile.
	{"v", func(o *options, f *conffile.File, _ node.Config) { o.conf.level, _ = loglevel.Parse(f.LogLevel) }},
	{"", func(o *options, f *conffile.File, _ node.Config) { _, o.conf.levels, _ = f.Levels() }},
	{"metrics", func(o *options, f *conffile.File, _ node.Config) {
		o.metrics.addr, o.cfg.Metrics = f.Metrics, f.Metrics
	}},
}

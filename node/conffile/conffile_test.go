package conffile

import (
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/relay"
)

var (
	addrA = strings.Repeat("aa", 32) + "@yggmail"
	addrB = strings.Repeat("bb", 32) + "@yggmail"
)

func TestGeneratedFileRoundTrips(t *testing.T) {
	f, err := Parse("gen.hjson", Generate())
	if err != nil {
		t.Fatalf("the generated file does not parse: %v", err)
	}
	if !reflect.DeepEqual(f, Default()) {
		t.Errorf("parsed generated file = %+v\nwant the defaults %+v", f, Default())
	}
	empty, err := Parse("empty.hjson", nil)
	if err != nil || !reflect.DeepEqual(empty, Default()) {
		t.Errorf("an empty file = %+v, %v; want the defaults", empty, err)
	}
}

// TestGeneratedFileDocumentsEveryKey: -genconf's text is the only manual a
// file's reader gets, so no key may go without a comment.
func TestGeneratedFileDocumentsEveryKey(t *testing.T) {
	for _, section := range []reflect.Type{reflect.TypeFor[File](), reflect.TypeFor[Relay]()} {
		for i := range section.NumField() {
			if f := section.Field(i); f.Tag.Get("comment") == "" {
				t.Errorf("%s.%s has no comment tag", section.Name(), f.Name)
			}
		}
	}
}

// everySet changes every key from its default.
var everySet = `
# a comment, as people write them
Database: /var/lib/yggpost/db
SMTP: 127.0.0.1:2525
IMAP: "127.0.0.1:2143"
IMAPS: 0.0.0.0:993
Submissions: 0.0.0.0:465
TLSCert: /etc/yggpost/cert.pem
TLSKey: /etc/yggpost/key.pem
TLSHosts: ["mail.example.org", "10.0.0.2"]
AllowPlainAuth: true
Peers: [
  tls://peer.example.org:443
  tcp://192.0.2.1:9001
]
Listen: ["tcp://0.0.0.0:9001"]
Multicast: true
MulticastRegexp: "^eth"
Relays: ["` + addrA + `=tok1"]
MaxMessageSize: 1048576
GiveUp: 2d
NotifyAfter: 90m
ReachTimeout: 30s
Relay: {
  Enabled: true
  Policy: allowlist
  Allow: ["` + addrB + `"]
  QuotaBytes: 2GiB
  QuotaEnvelopes: 500
  Retention: 1d12h
  MaxEnvelope: 10MiB
  Forward: false
  ExpireInterval: 1m
}
LogLevel: warn
LogLevels: {outbox: "debug", relay: "error"}
Metrics: "127.0.0.1:9100"
`

// notInFile are the node.Config and relay.Options fields no key sets, and
// why. A new field must be given a key or a line here.
var notInFile = map[string]string{
	"Config.Control":            "the command turns the control socket on when it runs a node",
	"Config.Logger":             "the program's own object; the file sets LogLevel",
	"Config.Observer":           "an embedding app's object",
	"Config.Reload":             "the command's function that reads the file again",
	"Options.Key":               "the node's own key, from the database",
	"Options.Logger":            "the node's logger",
	"Options.Now":               "the clock, replaced only by tests",
	"Options.ForwardBytes":      "a protective bound no flag exposes yet; relay's default",
	"Options.ForwardCount":      "a protective bound no flag exposes yet; relay's default",
	"Options.DepositRate":       "a protective bound no flag exposes yet; relay's default",
	"Options.MemberDepositRate": "a protective bound no flag exposes yet; relay's default",
	"Options.MaxDeposits":       "a protective bound no flag exposes yet; relay's default",
	"Options.MaxInvites":        "a protective bound no flag exposes yet; relay's default",
	"Options.InviteLifetime":    "a protective bound no flag exposes yet; relay's default",
	"Options.MaxWatchers":       "a protective bound no flag exposes yet; relay's default",
}

func TestEverySettingReachesTheConfig(t *testing.T) {
	f, err := Parse("all.hjson", []byte(everySet))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantEverySet()) {
		t.Errorf("Config() =\n%+v\nwant\n%+v", got, wantEverySet())
	}
	def, _ := Default().Config()
	def.Relay, _ = Default().Relay.Options()
	requireChanged(t, reflect.ValueOf(got), reflect.ValueOf(def))
	requireChanged(t, reflect.ValueOf(*got.Relay), reflect.ValueOf(*def.Relay))
}

// requireChanged fails for each field of got that still holds its default
// and is not listed in notInFile: a field the file cannot reach.
func requireChanged(t *testing.T, got, def reflect.Value) {
	t.Helper()
	for i := range got.NumField() {
		name := got.Type().Name() + "." + got.Type().Field(i).Name
		_, exempt := notInFile[name]
		same := reflect.DeepEqual(got.Field(i).Interface(), def.Field(i).Interface())
		switch {
		case same && !exempt:
			t.Errorf("%s: no key of the file sets it; add one, or list it in notInFile with the reason", name)
		case !same && exempt:
			t.Errorf("%s is listed in notInFile, yet the file sets it", name)
		}
	}
}

func wantEverySet() node.Config {
	a, _ := envelope.ParseAddress(addrA)
	b, _ := envelope.ParseAddress(addrB)
	return node.Config{
		Database: "/var/lib/yggpost/db", SMTPAddr: "127.0.0.1:2525", IMAPAddr: "127.0.0.1:2143",
		IMAPSAddr: "0.0.0.0:993", SubmissionsAddr: "0.0.0.0:465",
		TLSCertFile: "/etc/yggpost/cert.pem", TLSKeyFile: "/etc/yggpost/key.pem",
		TLSHosts: []string{"mail.example.org", "10.0.0.2"}, AllowPlainAuth: true, Metrics: "127.0.0.1:9100",
		Peers:  []string{"tls://peer.example.org:443", "tcp://192.0.2.1:9001"},
		Listen: []string{"tcp://0.0.0.0:9001"}, Multicast: true, MulticastRegexp: "^eth",
		MaxMessageSize: 1 << 20, GiveUp: 48 * time.Hour, NotifyAfter: 90 * time.Minute,
		ReachTimeout: 30 * time.Second, ExpireInterval: time.Minute,
		Relays: []node.RelayRef{{Address: a, Invite: "tok1"}},
		Relay: &relay.Options{
			Policy: relay.PolicyAllowlist, Allow: []envelope.Address{b}, MemberBytes: 2 << 30,
			MemberEnvelopes: 500, Retention: 36 * time.Hour, MaxEnvelope: 10 << 20, Forward: false,
		},
	}
}

func TestCommandLevelSettings(t *testing.T) {
	f, err := Parse("all.hjson", []byte(everySet))
	if err != nil {
		t.Fatal(err)
	}
	level, components, err := f.Levels()
	want := map[string]slog.Level{"outbox": slog.LevelDebug, "relay": slog.LevelError}
	if err != nil || level != slog.LevelWarn || !reflect.DeepEqual(components, want) {
		t.Errorf("Levels() = %v, %v, %v; want WARN, %v", level, components, err, want)
	}
	if f.Metrics != "127.0.0.1:9100" {
		t.Errorf("Metrics = %q", f.Metrics)
	}
}

func TestBadFilesNameTheKey(t *testing.T) {
	for _, c := range []struct{ file, key, why string }{
		{`Nonsense: 1`, "Nonsense", "unknown key"},
		{`peers: []`, "peers", "did you mean Peers"},
		{`Relay: {QuotaByte: "1GiB"}`, "Relay.QuotaByte", "unknown key"},
		{`Relay: {MaxEnvelope: "lots"}`, "Relay.MaxEnvelope", "whole number of bytes"},
		{`Relay: {Retention: "2w"}`, "Relay.Retention", "Go duration"},
		{`Relay: {Retention: 14}`, "Relay.Retention", `a number given, want a duration such as "5d"`},
		{`Relay: {QuotaEnvelopes: 1.5}`, "Relay.QuotaEnvelopes", "whole number"},
		{`Relay: {QuotaEnvelopes: 0}`, "Relay.QuotaEnvelopes", "at least 1"},
		{`Relay: {Policy: "closed"}`, "Relay.Policy", "want open, allowlist or invite"},
		{`Relay: {Allow: ["x@yggmail"]}`, "Relay.Allow[0]", "hex"},
		{`Relay: {Allow: ["` + addrA + `"]}`, "Relay.Allow", "allowlist policy only"},
		{`Relay: {Enabled: true, Policy: "allowlist"}`, "Relay.Allow", "at least one"},
		{`Relay: true`, "Relay", "true or false given, want an object of keys"},
		{`Multicast: "yes"`, "Multicast", "a string given, want true or false"},
		{`Peers: "tls://a:1"`, "Peers", "want a list of strings"},
		{`Peers: ["tls://a:1", "http://b:2"]`, "Peers[1]", "unsupported scheme"},
		{`Peers: ["tcp://nohost"]`, "Peers[0]", "host:port"},
		{`Peers: [1]`, "Peers[0]", "a number given, want a string"},
		{`Listen: ["udp://0.0.0.0:1"]`, "Listen[0]", "unsupported scheme"},
		{`SMTP: no-port`, "SMTP", "host:port"},
		{`Database: null`, "Database", "null given"},
		{`MulticastRegexp: "("`, "MulticastRegexp", "missing closing"},
		{`Relays: ["` + addrA + `", "` + addrA + `"]`, "Relays", "named twice"},
		{`TLSHosts: ["a b"]`, "TLSHosts[0]", "host name"},
		{`TLSCert: c.pem`, "TLSKey", "go together"},
		{`LogLevel: loud`, "LogLevel", "want debug"},
		{`LogLevels: {outbox: 3}`, "LogLevels.outbox", "want a string"},
		{`MaxMessageSize: 0`, "MaxMessageSize", "at least 1 byte"},
	} {
		_, err := Parse("bad.hjson", []byte(c.file))
		var e *Error
		if !errors.As(err, &e) || e.File != "bad.hjson" || e.Key != c.key || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: error %v; want bad.hjson, key %s and %q", c.file, err, c.key, c.why)
		}
	}
}

func TestSyntaxErrorsGiveThePosition(t *testing.T) {
	for _, file := range []string{"Peers: [", "{ SMTP: \"a:1\" ", "[1, 2]", `"just a string"`} {
		_, err := Parse("bad.hjson", []byte(file))
		if err == nil || !strings.HasPrefix(err.Error(), "bad.hjson: ") {
			t.Errorf("%q: error %v, want one naming the file", file, err)
		}
	}
	_, err := Parse("bad.hjson", []byte("Peers: [\n  tls://a:1\n  }"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error %v does not give the line", err)
	}
}

func TestSizesAsNumbersOrStrings(t *testing.T) {
	for file, want := range map[string]Size{
		"MaxMessageSize: 1024": 1024, `MaxMessageSize: "1KiB"`: 1024, "MaxMessageSize: 1KiB": 1024,
		"MaxMessageSize: 1 MB": 1e6,
	} {
		f, err := Parse("s.hjson", []byte(file))
		if err != nil || f.MaxMessageSize != want {
			t.Errorf("%q: %v, %v; want %d", file, f, err, want)
		}
	}
}

func TestReadRefusesHugeInput(t *testing.T) {
	_, err := Read("big", strings.NewReader(strings.Repeat("#", MaxFileSize+1)))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error %v", err)
	}
}

// FuzzParse: Parse never panics, and every error names the file and
// either a key or a position in the file.
func FuzzParse(f *testing.F) {
	f.Add(Generate())
	f.Add([]byte(everySet))
	for _, s := range []string{"", "{", "Relay: {Retention: 1d}", "Peers: [\n x \n]", "LogLevels: {a: b}", "a: '''\nx'''", "[]", "null"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.hjson", data)
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.File != "fuzz.hjson" {
			t.Fatalf("error %v is not an *Error naming the file", err)
		}
		if e.Key == "" && !strings.Contains(e.Err.Error(), "line") && !strings.Contains(e.Err.Error(), "end of the file") &&
			!strings.Contains(e.Err.Error(), "at the top") {
			t.Fatalf("error %v names neither a key nor a position", err)
		}
	})
}

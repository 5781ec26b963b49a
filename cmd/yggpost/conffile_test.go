package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/conffile"
	"github.com/yggpost/yggpost/node/outbox"
)

var (
	relayA = strings.Repeat("aa", 32) + "@yggmail"
	relayB = strings.Repeat("bb", 32) + "@yggmail"
)

// allSettings changes every setting of the file from its default.
var allSettings = `
Database: /var/lib/yggpost/db
SMTP: 127.0.0.1:2525
IMAP: 127.0.0.1:2143
IMAPS: 0.0.0.0:993
Submissions: 0.0.0.0:465
TLSCert: /etc/yggpost/cert.pem
TLSKey: /etc/yggpost/key.pem
TLSHosts: ["mail.example.org"]
AllowPlainAuth: true
Peers: ["tls://peer.example.org:443"]
Listen: ["tcp://0.0.0.0:9001"]
Multicast: true
MulticastRegexp: "^eth"
Relays: ["` + relayA + `=tok1"]
MaxMessageSize: 1MiB
GiveUp: 2d
NotifyAfter: 90m
ReachTimeout: 30s
Relay: {
  Enabled: true
  Policy: allowlist
  Allow: ["` + relayB + `"]
  QuotaBytes: 2GiB
  QuotaEnvelopes: 500
  Retention: 1d12h
  MaxEnvelope: 10MiB
  Forward: false
  ExpireInterval: 1m
}
LogLevel: warn
LogLevels: {outbox: "debug"}
Metrics: "127.0.0.1:9100"
`

func writeConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "yggpost.hjson")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestGenconfPrintsTheDefaults(t *testing.T) {
	code, out, errs := runCmd(t, "", "-genconf")
	if code != exitOK {
		t.Fatalf("-genconf exit %d, stderr %q", code, errs)
	}
	f, err := conffile.Parse("genconf", []byte(out))
	if err != nil || !reflect.DeepEqual(f, conffile.Default()) {
		t.Errorf("-genconf's file reads as %+v, %v; want the defaults", f, err)
	}
	// A node run from the generated file is the node run without flags,
	// whose zero values node.Open reads as these same defaults.
	bare, _, _ := parseFlags(nil, &bytes.Buffer{})
	bare.cfg.MaxMessageSize, bare.cfg.GiveUp, bare.cfg.NotifyAfter = node.DefaultMaxMessageSize, node.DefaultGiveUp, outbox.DefaultNotifyAfter
	bare.cfg.ReachTimeout, bare.cfg.ExpireInterval = node.DefaultReachTimeout, node.DefaultExpireInterval
	fromFile, _, err := parseFlags([]string{"-useconffile", writeConf(t, out)}, &bytes.Buffer{})
	if err != nil || !reflect.DeepEqual(fromFile.cfg, bare.cfg) || fromFile.conf.level != bare.conf.level {
		t.Errorf("from the generated file: %+v, %v\nwithout flags: %+v", fromFile.cfg, err, bare.cfg)
	}
}

// TestEveryFileSettingReachesTheNode: through the command, as through
// conffile, every setting of the file arrives in node.Config.
func TestEveryFileSettingReachesTheNode(t *testing.T) {
	f, err := conffile.Parse("all", []byte(allSettings))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.Config()
	o, _, err := parseFlags([]string{"-useconffile", writeConf(t, allSettings)}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.cfg, want) {
		t.Errorf("the command made\n%+v\nconffile makes\n%+v", o.cfg, want)
	}
	if o.conf.level.String() != "WARN" || o.conf.levels["outbox"].String() != "DEBUG" || o.cfg.Metrics != "127.0.0.1:9100" {
		t.Errorf("level %v, levels %v, metrics %q", o.conf.level, o.conf.levels, o.cfg.Metrics)
	}
}

// flagsNotInFile are the flags with no setting in the file, and why. A new
// flag must be given a line in fileSettings or here.
var flagsNotInFile = map[string]string{
	"password": "an action", "passwordhash": "an action", "address": "an action", "dclogin": "an action",
	"setup": "an action", "tls-fingerprint": "an action", "relay-invite": "an action", "backup": "an action",
	"restore": "an action", "export": "an action", "import-maildir": "an action", "import-mbox": "an action",
	"import-yggmail": "an action", "into": "an argument of -import-maildir and -import-mbox",
	"setup-dir": "an argument of -setup", "genconf": "an action", "useconffile": "names the file", "useconf": "names the file",
}

func TestEveryFlagHasASettingOrAReason(t *testing.T) {
	inFile := map[string]bool{}
	for _, s := range fileSettings {
		inFile[s.flag] = true
	}
	_, _, usage := runCmd(t, "", "-h")
	names := regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(usage, -1)
	if len(names) < 20 {
		t.Fatalf("found only %d flags in the usage text:\n%s", len(names), usage)
	}
	for _, m := range names {
		_, exempt := flagsNotInFile[m[1]]
		if inFile[m[1]] == exempt {
			t.Errorf("-%s: in fileSettings %v, in flagsNotInFile %v; want exactly one", m[1], inFile[m[1]], exempt)
		}
	}
}

func TestFlagsOverrideTheFile(t *testing.T) {
	path := writeConf(t, allSettings)
	o, _, err := parseFlags([]string{"-useconffile", path, "-smtp", "127.0.0.1:1", "-peer", "tcp://other:2",
		"-relay-quota-bytes", "5GiB", "-relays", relayB, "-v"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.SMTPAddr != "127.0.0.1:1" || strings.Join(o.cfg.Peers, " ") != "tcp://other:2" {
		t.Errorf("smtp %q, peers %v: the flags did not win", o.cfg.SMTPAddr, o.cfg.Peers)
	}
	if o.cfg.Relay == nil || o.cfg.Relay.MemberBytes != 5<<30 || o.cfg.Relay.MemberEnvelopes != 500 {
		t.Errorf("relay options %+v: want the flag's quota and the file's envelope count", o.cfg.Relay)
	}
	if len(o.cfg.Relays) != 1 || o.cfg.Relays[0].Address.String() != relayB {
		t.Errorf("relays %v: want -relays only, not added to the file's", o.cfg.Relays)
	}
	if o.cfg.IMAPAddr != "127.0.0.1:2143" || !o.cfg.Multicast {
		t.Errorf("imap %q, multicast %v: the settings no flag gave must come from the file", o.cfg.IMAPAddr, o.cfg.Multicast)
	}
	// -relay=false turns off the role the file turns on, with its settings.
	o, _, err = parseFlags([]string{"-useconffile", path, "-relay=false"}, &bytes.Buffer{})
	if err != nil || o.cfg.Relay != nil {
		t.Errorf("-relay=false over the file: relay %+v, %v", o.cfg.Relay, err)
	}
}

func TestUseConfReadsStdin(t *testing.T) {
	db := t.TempDir() + "/alice.db"
	code, out, errs := runCmd(t, "Database: "+db+"\n", "-useconf", "-address")
	if code != exitOK {
		t.Fatalf("-useconf -address exit %d, stderr %q", code, errs)
	}
	if again := addressOf(t, db); again != out {
		t.Errorf("-useconf printed %q; the database of the file has %q", out, again)
	}
	if code, _, errs := runCmd(t, "", "-useconf", "-password"); code != exitUsage || !strings.Contains(errs, "-useconffile") {
		t.Errorf("-useconf with -password: exit %d, %q; want %d and a way out", code, errs, exitUsage)
	}
}

func TestBadConfFileIsAUsageError(t *testing.T) {
	for text, want := range map[string]string{
		"Relay: {\n  MaxEnvlope: 1MiB\n}": "Relay.MaxEnvlope: unknown key",
		"GiveUp: soon":                    "GiveUp: \"soon\": want a Go duration",
		"Peers: [\"http://x:1\"]":         "Peers[0]: peer",
		"Multicast: 1":                    "Multicast: a number given, want true or false",
	} {
		path := writeConf(t, text)
		code, _, errs := runCmd(t, "", "-useconffile", path, "-address")
		if code != exitUsage || !strings.Contains(errs, path+": "+want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", text, code, errs, exitUsage, path+": "+want)
		}
	}
	code, _, errs := runCmd(t, "", "-useconffile", t.TempDir()+"/none.hjson")
	if code != exitUsage || !strings.Contains(errs, "none.hjson") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
}

// TestNodeRunsFromTheFile starts a node as an operator would, from a file
// alone, and checks it serves where the file says.
func TestNodeRunsFromTheFile(t *testing.T) {
	db := t.TempDir() + "/node.db"
	path := writeConf(t, "Database: "+db+"\nSMTP: 127.0.0.1:0\nIMAP: 127.0.0.1:0\nListen: [\"tcp://127.0.0.1:0\"]\n")
	var out, errs testkit.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- runContext(ctx, []string{"-useconffile", path}, strings.NewReader(""), &out, &errs) }()
	testkit.WaitFor(t, 10*time.Second, "a node running line in "+errs.String(), func() bool {
		return strings.Contains(errs.String(), `msg="node running"`)
	})
	line := lineWith(errs.String(), `msg="node running"`)
	if !strings.Contains(line, "smtp=127.0.0.1:") || !strings.Contains(line, strings.TrimSpace(addressOfRunning(t, db))) {
		t.Errorf("node running line %q: want the file's SMTP host and database's address", line)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after stop; stderr:\n%s", code, errs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the node did not stop within 15 s")
	}
}

// addressOfRunning asks the running node for its address through its
// control socket, as -address does.
func addressOfRunning(t *testing.T, db string) string { return addressOf(t, db) }

// TestReloadReadsTheFileAgain: a reload takes the file's new peers,
// relays and log levels, and the flags given at start still win.
func TestReloadReadsTheFileAgain(t *testing.T) {
	path := writeConf(t, "Peers: [\"tcp://a:1\"]\nRelays: [\""+relayA+"\"]\nLogLevel: warn\n")
	o, _, err := parseFlags([]string{"-useconffile", path, "-relays", relayB}, &bytes.Buffer{})
	if err != nil || o.reload.reread == nil {
		t.Fatalf("reread %v, err %v: want a way to read the file again", o.reload.reread != nil, err)
	}
	if err := os.WriteFile(path, []byte("Peers: [\"tcp://b:2\"]\nRelays: []\nLogLevel: error\nLogLevels: {outbox: \"debug\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := o.reload.reread()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Peers, " ") != "tcp://b:2" || r.Level.String() != "ERROR" || r.Levels["outbox"].String() != "DEBUG" {
		t.Errorf("reload read peers %v, level %v, levels %v; want the file's new ones", r.Peers, r.Level, r.Levels)
	}
	if len(r.Relays) != 1 || r.Relays[0].Address.String() != relayB {
		t.Errorf("reload read relays %v; want -relays, given at start", r.Relays)
	}
	if err := os.WriteFile(path, []byte("Peers: [\"http://x:1\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := o.reload.reread(); err == nil || !strings.Contains(err.Error(), "Peers[0]") {
		t.Errorf("a broken file on reload: %v, want an error naming Peers[0]", err)
	}
	// From stdin the file cannot be read again: a reload reads only the
	// certificate.
	o, _, _ = parseFlagsFrom([]string{"-useconf"}, strings.NewReader("Peers: []"), &bytes.Buffer{})
	if o.reload.reread != nil {
		t.Error("-useconf: a reload would read stdin again")
	}
}

// A reload of a relay reads the Relay section's limits again, unless relay
// flags given at start decide them.
func TestReloadReadsTheRelayLimitsAgain(t *testing.T) {
	path := writeConf(t, "Listen: [\"tcp://127.0.0.1:0\"]\nRelay: {Enabled: true, QuotaEnvelopes: 10}\n")
	o, _, err := parseFlags([]string{"-useconffile", path}, &bytes.Buffer{})
	if err != nil || o.cfg.Relay == nil || o.cfg.Relay.MemberEnvelopes != 10 {
		t.Fatalf("start: %v, relay %+v", err, o.cfg.Relay)
	}
	if err := os.WriteFile(path, []byte("Listen: [\"tcp://127.0.0.1:0\"]\nRelay: {Enabled: true, QuotaEnvelopes: 5, Policy: \"invite\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := o.reload.reread()
	if err != nil || r.Relay == nil || r.Relay.MemberEnvelopes != 5 || r.Relay.Policy.String() != "invite" {
		t.Fatalf("reload read relay limits %+v, %v; want the file's new quota and policy", r.Relay, err)
	}
	o, _, _ = parseFlags([]string{"-useconffile", path, "-relay-quota-envelopes", "7"}, &bytes.Buffer{})
	if r, err := o.reload.reread(); err != nil || r.Relay == nil || r.Relay.MemberEnvelopes != 7 {
		t.Errorf("with -relay-quota-envelopes at start, reload read %+v, %v; want the flag's 7", r.Relay, err)
	}
}

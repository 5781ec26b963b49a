package main

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/yggpost/yggpost/envelope"
)

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAddressIsStableAndValid(t *testing.T) {
	db := t.TempDir() + "/alice.db"
	code, out, errs := runCmd(t, "", "-database", db, "-address")
	if code != exitOK {
		t.Fatalf("-address exit %d, stderr %q", code, errs)
	}
	addr, err := envelope.ParseAddress(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("-address printed %q: %v", out, err)
	}
	_, again, _ := runCmd(t, "", "-database", db, "-address")
	if strings.TrimSpace(again) != addr.String() {
		t.Fatalf("address changed between runs: %q then %q", out, again)
	}
}

func TestPasswordFromStdin(t *testing.T) {
	db := t.TempDir() + "/alice.db"
	code, _, errs := runCmd(t, "s3cret\n", "-database", db, "-password")
	if code != exitOK || !strings.Contains(errs, "password set") {
		t.Fatalf("-password exit %d, stderr %q", code, errs)
	}
	code, _, errs = runCmd(t, "\n", "-database", db, "-password")
	if code != exitUsage || !strings.Contains(errs, "must not be empty") {
		t.Fatalf("empty password: exit %d, stderr %q; want %d and a reason", code, errs, exitUsage)
	}
}

func TestPasswordHash(t *testing.T) {
	db := t.TempDir() + "/alice.db"
	h, err := bcrypt.GenerateFromPassword([]byte("hunter2"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hash := string(h)
	if code, _, errs := runCmd(t, "", "-database", db, "-passwordhash", hash); code != exitOK {
		t.Fatalf("-passwordhash exit %d, stderr %q", code, errs)
	}
	for _, bad := range []string{"plaintext", hash[:40]} {
		code, _, errs := runCmd(t, "", "-database", db, "-passwordhash", bad)
		if code != exitUsage || !strings.Contains(errs, "bcrypt") {
			t.Errorf("hash %q: exit %d, stderr %q; want %d and a reason", bad, code, errs, exitUsage)
		}
	}
}

func TestIsolatedNodeSaysWhatToAdd(t *testing.T) {
	code, _, errs := runCmd(t, "", "-database", t.TempDir()+"/a.db")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	for _, want := range []string{"-peer", "-listen", "-multicast"} {
		if !strings.Contains(errs, want) {
			t.Errorf("message %q does not mention %s", errs, want)
		}
	}
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-peer", "http://example.org:80"},
		{"-peer", "tcp://nohost"},
		{"-listen", "udp://0.0.0.0:1"},
		{"-smtp", "no-port"},
		{"-mcastregexp", "("},
		{"-nosuchflag"},
		{"frobnicate"},
		{"-backup", "x.backup", "-export", "dir"}, // two actions: one would be skipped
		{"-address", "-password"},
	} {
		code, _, errs := runCmd(t, "", append([]string{"-database", t.TempDir() + "/a.db"}, args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, exitUsage, errs)
		}
		if errs == "" {
			t.Errorf("%v: no message", args)
		}
	}
}

func TestRepeatableAndCommaSeparatedPeers(t *testing.T) {
	o, _, err := parseFlags([]string{"-peer", "tcp://a:1,tls://b:2", "-peer", "tcp://c:3", "-listen", "tcp://0.0.0.0:9001"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.cfg.Peers, " "); got != "tcp://a:1 tls://b:2 tcp://c:3" {
		t.Errorf("peers = %q", got)
	}
	if len(o.cfg.Listen) != 1 {
		t.Errorf("listen = %v", o.cfg.Listen)
	}
}

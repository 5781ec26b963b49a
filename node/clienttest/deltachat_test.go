//go:build unix

package clienttest_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
)

// protocolTrouble matches warnings and errors that concern talking to the
// node's IMAP or SMTP server.
var protocolTrouble = regexp.MustCompile(`(?i)imap|smtp|idle|fetch|select|login|connect|server`)

// infoTrouble matches informational lines from Delta Chat's IMAP, SMTP
// and connection code that report something going wrong, which the core
// logs as Info when it recovers by itself (a reconnect, a fallback).
var infoTrouble = regexp.MustCompile(`^src/(imap|smtp|net|scheduler)[^ ]*: .*(?i:fail|error|unexpected|not supported|does not support|cannot|timed out|timeout|reconnect|broken)`)

// maxLatency bounds the time from sending a message to the recipient's
// core reporting it. Over IDLE on loopback it takes well under a second;
// a client that missed the IDLE update would wait for its next poll,
// about a minute.
const maxLatency = 15 * time.Second

// checkDeltaChat asserts the outcome of one run: every message arrived
// with a padlock in the right chat, each chat holds each message once,
// and the core reported no error and no IMAP or SMTP warning.
func checkDeltaChat(t *testing.T, lines []dcLine, rounds int) {
	t.Helper()
	checkDeltaChatRun(t, lines, rounds, rounds)
}

// checkDeltaChatRun is checkDeltaChat for a run that exchanged rounds
// pings and pongs in a chat that now holds total of each.
func checkDeltaChatRun(t *testing.T, lines []dcLine, rounds, total int) {
	t.Helper()
	received, chats, files := 0, 0, 0
	for _, l := range lines {
		switch {
		case l.Type == "event" && l.Kind == "Error":
			t.Errorf("Delta Chat %s reported an error: %s", l.Account, l.Msg)
		case l.Type == "event" && l.Kind == "Warning" && protocolTrouble.MatchString(l.Msg):
			t.Errorf("Delta Chat %s warned: %s", l.Account, l.Msg)
		case l.Type == "event" && l.Kind == "Warning":
			t.Logf("Delta Chat %s warned (not about IMAP/SMTP): %s", l.Account, l.Msg)
		case l.Type == "event" && l.Kind == "Info" && infoTrouble.MatchString(l.Msg):
			t.Errorf("Delta Chat %s logged trouble: %s", l.Account, l.Msg)
		case l.Type == "received":
			received++
			t.Logf("%s received %q in %d ms", l.To, l.Text, l.ElapsedMs)
			checkReceived(t, l)
		case l.Type == "file":
			files++
			checkFile(t, l)
		case l.Type == "chat":
			chats++
			checkChat(t, l, total)
		}
	}
	if received != 2*rounds || chats != 2 {
		t.Errorf("script reported %d received messages and %d chats, want %d and 2", received, chats, 2*rounds)
	}
	if cfg := wantFiles(lines); files != cfg {
		t.Errorf("script reported %d files received, want %d", files, cfg)
	}
	if !succeeded(lines) {
		t.Errorf("script did not report success; last lines: %s", tail(lines, 5))
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// succeeded reports whether the script printed a successful result; core
// events may still follow it.
func succeeded(lines []dcLine) bool {
	for _, l := range lines {
		if l.Type == "result" {
			return l.OK
		}
	}
	return false
}

// wantFiles is 1 if the script was asked to send a file (it says so in a
// step line), else 0.
func wantFiles(lines []dcLine) int {
	for _, l := range lines {
		if l.Type == "step" && strings.HasPrefix(l.Step, "sending a file") {
			return 1
		}
	}
	return 0
}

// checkFile asserts that a file arrived whole, with its text and padlock.
func checkFile(t *testing.T, l dcLine) {
	t.Helper()
	if l.GotSha != l.WantSha {
		t.Errorf("%s received a file of %d bytes that differs from the one %s sent", l.To, l.Bytes, l.From)
	}
	if l.Text != l.Sent || !l.ShowPadlock {
		t.Errorf("%s received the file with text %q (padlock %v), want %q with a padlock", l.To, l.Text, l.ShowPadlock, l.Sent)
	}
	t.Logf("%s received a file of %d bytes intact", l.To, l.Bytes)
}

func checkReceived(t *testing.T, l dcLine) {
	t.Helper()
	if l.Text != l.Sent {
		t.Errorf("%s received %q from %s, want %q", l.To, l.Text, l.From, l.Sent)
	}
	if !l.ShowPadlock {
		t.Errorf("%s received %q from %s without a padlock (not end-to-end encrypted)", l.To, l.Text, l.From)
	}
	if l.ChatID != l.ExpectedChat {
		t.Errorf("%s received %q in chat %d, want the SecureJoin chat %d", l.To, l.Text, l.ChatID, l.ExpectedChat)
	}
	if d := time.Duration(l.ElapsedMs) * time.Millisecond; d > maxLatency {
		t.Errorf("%s received %q %s after it was sent, want within %s (IDLE update missed?)", l.To, l.Text, d, maxLatency)
	}
	if l.Error != nil && *l.Error != "" {
		t.Errorf("%s received %q with error %q", l.To, l.Text, *l.Error)
	}
}

// checkChat asserts that a chat holds each ping and pong exactly once,
// all with a padlock.
func checkChat(t *testing.T, l dcLine, rounds int) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range l.Messages {
		seen[m.Text]++
		if !m.ShowPadlock {
			t.Errorf("%s's chat shows %q without a padlock", l.Account, m.Text)
		}
	}
	for i := range rounds {
		for _, want := range []string{fmt.Sprintf("ping %d from alice", i), fmt.Sprintf("pong %d from bob", i)} {
			if seen[want] != 1 {
				t.Errorf("%s's chat holds %q %d times, want once (chat: %+v)", l.Account, want, seen[want], l.Messages)
			}
		}
	}
}

// TestDeltaChat configures two Delta Chat accounts, each on its own
// Yggpost node, runs SecureJoin and exchanges messages both ways, with
// bcc_self off and on, and finally sends a 1 MiB file.
func TestDeltaChat(t *testing.T) {
	modules := needDeltaChat(t)
	for _, c := range []struct {
		bcc  bool
		file int
	}{
		{bcc: false, file: 1 << 20},
		{bcc: true},
		{bcc: true, file: 1 << 20},
	} {
		name := fmt.Sprintf("bcc_self=%v", c.bcc)
		if c.file > 0 && c.bcc {
			name += ",file"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			alice, bob := pair(t)
			const rounds = 2
			cfg := dcConfig{Modules: modules, DataDir: t.TempDir(), BccSelf: c.bcc, Rounds: rounds, WaitMs: 60_000,
				FileBytes: c.file, Accounts: []dcAccount{account(t, alice), account(t, bob)}}
			start := time.Now()
			lines := runDeltaChat(t, cfg, 3*time.Minute)
			t.Logf("Delta Chat scenario took %s", time.Since(start).Round(time.Millisecond))
			checkDeltaChat(t, lines, rounds)
			self := fromSelf(t, alice)
			t.Logf("alice's INBOX holds %d messages from alice", self)
			if c.bcc && self < rounds {
				t.Errorf("with bcc_self alice's INBOX holds %d messages from herself, want at least %d (one per ping)", self, rounds)
			}
		})
	}
}

// stateOutFailed is Delta Chat's message state for an outgoing message
// that could not be delivered.
const stateOutFailed = 24

// TestDeltaChatBounce sends a file larger than the recipient's node
// accepts: the sender's node puts a delivery report into its INBOX, and
// the sender's Delta Chat must tie it to the message and mark that failed.
// Delta Chat trashes unencrypted mail, delivery reports included, unless
// force_encryption is off, so the test turns it off.
func TestDeltaChatBounce(t *testing.T) {
	t.Parallel()
	modules := needDeltaChat(t)
	alice := start(t, "alice", nodetest.Options{Listen: true})
	// bob's node refuses messages over 256 KiB: the chat messages pass,
	// the 512 KiB file bounces.
	bob := start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}, Limit: 256 << 10})
	cfg := dcConfig{Modules: modules, DataDir: t.TempDir(), Rounds: 1, WaitMs: 60_000,
		BounceBytes: 512 << 10, ForceEncryption: "0", Accounts: []dcAccount{account(t, alice), account(t, bob)}}
	lines := runDeltaChat(t, cfg, 3*time.Minute)
	checkDeltaChat(t, lines, 1)
	var b *dcLine
	for i := range lines {
		if lines[i].Type == "bounced" {
			b = &lines[i]
		}
	}
	if b == nil {
		t.Fatal("the script reported no bounce")
	}
	if b.State != stateOutFailed {
		t.Errorf("alice's Delta Chat left the refused message in state %d, want failed (%d); report text %q", b.State, stateOutFailed, b.Text)
	}
	t.Logf("Delta Chat marked the refused message failed: %s", deref(b.Error))
}

// uidValidityChanged matches Delta Chat noticing a new UIDVALIDITY for a
// folder it had seen before (from 0 is its first look).
var uidValidityChanged = regexp.MustCompile(`UID validity for folder \S+ changed from [1-9]`)

// TestDeltaChatRestart restarts bob's node between two Delta Chat runs on
// the same accounts: after the restart both still talk in the same chat,
// nothing arrives twice, and Delta Chat sees the same UIDVALIDITY.
func TestDeltaChatRestart(t *testing.T) {
	t.Parallel()
	modules := needDeltaChat(t)
	alice := start(t, "alice", nodetest.Options{Listen: true})
	bob := start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}, Tweak: func(c *node.Config) {
		c.IMAPAddr, c.SMTPAddr = freeAddr(t), freeAddr(t)
	}})
	cfg := dcConfig{Modules: modules, DataDir: t.TempDir(), Rounds: 2, WaitMs: 60_000,
		Accounts: []dcAccount{account(t, alice), account(t, bob)}}
	checkDeltaChat(t, runDeltaChat(t, cfg, 3*time.Minute), 2)

	bob = bob.restart()
	cfg.Resume, cfg.FirstRound = true, 2
	lines := runDeltaChat(t, cfg, 3*time.Minute)
	checkDeltaChatRun(t, lines, 2, 4)
	for _, l := range lines {
		if l.Type == "event" && uidValidityChanged.MatchString(l.Msg) {
			t.Errorf("Delta Chat %s saw UIDVALIDITY change across bob's restart: %s", l.Account, l.Msg)
		}
	}
}

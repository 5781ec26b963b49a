//go:build unix

package clienttest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yggpost/yggpost/node/nodetest"
)

// deltaChatDir is where .ci/run installs the npm packages of
// testdata/package.json: $YGGPOST_CLIENTTEST_DIR, else
// $HOME/.cache/yggpost-clienttest.
func deltaChatDir() string {
	if d := os.Getenv("YGGPOST_CLIENTTEST_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".cache", "yggpost-clienttest")
}

// needDeltaChat skips the test unless node and the Delta Chat core are
// installed, and returns the directory holding node_modules.
func needDeltaChat(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		missing(t, "node (Node.js) not installed; the Delta Chat test needs Node.js 18 or later")
	}
	dir := deltaChatDir()
	arch := map[string]string{"amd64": "x64", "386": "ia32"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH // arm64, arm
	}
	platform := "stdio-rpc-server-" + runtime.GOOS + "-" + arch
	for _, pkg := range []string{"stdio-rpc-server", "jsonrpc-client", platform} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@deltachat", pkg, "package.json")); err != nil {
			missing(t, "@deltachat/%s not installed in %s (set YGGPOST_CLIENTTEST_DIR, or copy node/clienttest/testdata/package.json there and run npm install, as .ci/run does)", pkg, dir)
		}
	}
	return dir
}

// dcAccount is one account entry of the script's configuration.
type dcAccount struct {
	Name       string `json:"name"`
	Addr       string `json:"addr"`
	Password   string `json:"password"`
	IMAPServer string `json:"imapServer"`
	IMAPPort   int    `json:"imapPort"`
	SMTPServer string `json:"smtpServer"`
	SMTPPort   int    `json:"smtpPort"`
	// IMAPSecurity and SMTPSecurity are Delta Chat's "plain" (when
	// empty), "ssl" or "starttls".
	IMAPSecurity string `json:"imapSecurity,omitempty"`
	SMTPSecurity string `json:"smtpSecurity,omitempty"`
}

// dcConfig is what testdata/deltachat.mjs reads.
type dcConfig struct {
	Modules         string      `json:"modules"`
	DataDir         string      `json:"dataDir"`
	BccSelf         bool        `json:"bccSelf"`
	FirstRound      int         `json:"firstRound"`
	Resume          bool        `json:"resume"`
	FileBytes       int         `json:"fileBytes,omitempty"`
	Rounds          int         `json:"rounds"`
	WaitMs          int         `json:"waitMs"`
	BounceBytes     int         `json:"bounceBytes,omitempty"`
	ForceEncryption string      `json:"forceEncryption,omitempty"`
	Accounts        []dcAccount `json:"accounts"`
}

// dcLine is one line of the script's output; which fields are set depends
// on Type.
type dcLine struct {
	Type    string `json:"type"`
	Account string `json:"account"`
	Kind    string `json:"kind"`
	Msg     string `json:"msg"`
	Step    string `json:"step"`

	From         string  `json:"from"`
	To           string  `json:"to"`
	Sent         string  `json:"sent"`
	Text         string  `json:"text"`
	ShowPadlock  bool    `json:"showPadlock"`
	ChatID       int     `json:"chatId"`
	ExpectedChat int     `json:"expectedChat"`
	Error        *string `json:"error"`
	ElapsedMs    int     `json:"elapsedMs"`

	State    int             `json:"state"`
	WantSha  string          `json:"wantSha"`
	GotSha   string          `json:"gotSha"`
	Bytes    int             `json:"bytes"`
	Messages []dcChatMessage `json:"messages"`
	OK       bool            `json:"ok"`

	QR         *dcQr         `json:"qr"`
	Transports []dcTransport `json:"transports"`
}

// dcQr is checkQr's reading of a QR code: for a dclogin: link, kind
// "login" and the address.
type dcQr struct {
	Kind    string `json:"kind"`
	Address string `json:"address"`
}

// dcTransport is one server set of an account as Delta Chat keeps it
// (listTransports).
type dcTransport struct {
	Addr         string  `json:"addr"`
	Password     string  `json:"password"`
	IMAPServer   string  `json:"imapServer"`
	IMAPPort     int     `json:"imapPort"`
	IMAPSecurity string  `json:"imapSecurity"`
	SMTPServer   string  `json:"smtpServer"`
	SMTPPort     int     `json:"smtpPort"`
	SMTPSecurity string  `json:"smtpSecurity"`
	SMTPPassword *string `json:"smtpPassword"`
}

type dcChatMessage struct {
	Text        string `json:"text"`
	ShowPadlock bool   `json:"showPadlock"`
	State       int    `json:"state"`
}

func account(t *testing.T, n *testNode) dcAccount {
	imapHost, imapPort := hostPort(t, n.IMAPAddr)
	smtpHost, smtpPort := hostPort(t, n.SMTPAddr)
	return dcAccount{Name: n.Name, Addr: n.addr, Password: nodetest.Password,
		IMAPServer: imapHost, IMAPPort: imapPort, SMTPServer: smtpHost, SMTPPort: smtpPort}
}

// runDeltaChat runs testdata/deltachat.mjs against the given
// configuration and returns its output lines.
func runDeltaChat(t *testing.T, cfg dcConfig, within time.Duration) []dcLine {
	t.Helper()
	return runScript(t, "deltachat.mjs", cfg, within)
}

// runScript runs a Node.js script of testdata/ with cfg, written as JSON,
// and returns its output lines. The script and the Delta Chat core it
// starts run in their own process group, killed when the deadline passes.
func runScript(t *testing.T, script string, cfg any, within time.Duration) []dcLine {
	t.Helper()
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatalf("encode config: %v", err)
	}
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatalf("write config: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("testdata", script), cfgPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	lines := parseLines(t, out)
	if stderr.Len() > 0 {
		t.Logf("%s stderr:\n%s", script, stderr.String())
	}
	if err != nil {
		for _, l := range lines {
			if l.Type == "result" {
				t.Errorf("%s failed: %s", script, deref(l.Error))
			}
		}
		t.Fatalf("%s: %v (ctx: %v); last lines: %s", script, err, ctx.Err(), tail(lines, 5))
	}
	return lines
}

func parseLines(t *testing.T, out []byte) []dcLine {
	var lines []dcLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var l dcLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Errorf("script printed a line that is not JSON: %q", sc.Text())
			continue
		}
		if l.Type == "event" || l.Type == "step" || l.Type == "result" {
			t.Logf("dc %s %s %s%s%s", l.Type, l.Account, l.Kind, l.Step, truncate(l.Msg, 3000))
		}
		lines = append(lines, l)
	}
	return lines
}

func tail(lines []dcLine, n int) string {
	var b strings.Builder
	for _, l := range lines[max(0, len(lines)-n):] {
		fmt.Fprintf(&b, "\n  %s %s %s %s%s%s", l.Type, l.Account, l.Kind, l.Step, truncate(l.Msg, 3000), deref(l.Error))
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

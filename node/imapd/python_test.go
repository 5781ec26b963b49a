package imapd

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
)

// TestPythonImaplibLikeDeltaChat runs testdata/deltachat_like.py, which
// uses the command sequence of Delta Chat: header fetch, body fetch, IDLE,
// \Deleted and CLOSE.
func TestPythonImaplibLikeDeltaChat(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found on PATH; the imaplib client test needs it")
	}
	e := newEnv(t)
	body := testMessage("python", 5000)
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(body), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	bodyFile := filepath.Join(t.TempDir(), "body.eml")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(e.addr, ":")
	cmd := exec.Command(python, "testdata/deltachat_like.py", port, testUser, testPass, bodyFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "IDLING" {
		cmd.Wait()
		t.Fatalf("script did not reach IDLE: %q, stderr: %s", lines.Text(), stderr.String())
	}
	if _, _, err := e.store.Append("INBOX", bytes.NewReader(testMessage("second", 10)), mailbox.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil || !strings.Contains(string(rest), "DONE") {
		t.Fatalf("script failed: %v\nstdout: %s\nstderr: %s", err, rest, stderr.String())
	}
	msgs, err := e.store.Messages("INBOX")
	if err != nil || len(msgs) != 1 {
		t.Fatalf("after STORE \\Deleted and CLOSE, INBOX has %d messages (%v), want 1", len(msgs), err)
	}
}

// TestPythonImaplibSortThreadCondStore runs testdata/sort_thread.py:
// Python's imaplib reads the SORT, THREAD and CONDSTORE answers.
func TestPythonImaplibSortThreadCondStore(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found on PATH; the imaplib client test needs it")
	}
	e := newEnv(t)
	appendSortFixture(t, e) // six messages: HIGHESTMODSEQ 7
	_, port, _ := strings.Cut(e.addr, ":")
	out, err := exec.Command(python, "testdata/sort_thread.py", port, testUser, testPass).CombinedOutput()
	if err != nil {
		t.Fatalf("script failed: %v\n%s", err, out)
	}
	want := strings.Join([]string{
		"ENABLED OK CONDSTORE",
		"SORT OK 6 3 4 2 1 5",
		"UID SORT OK 6 1 2 3 4 5",
		"THREAD OK (1 (5)(2 3)(4))(6)",
		`STORE OK 2 (UID 2 FLAGS (\Flagged \Recent) MODSEQ (8))`,
		`CHANGEDSINCE OK 2 (FLAGS (\Flagged \Recent) MODSEQ (8))`,
	}, "\n") + "\n"
	if string(out) != want {
		t.Errorf("imaplib saw:\n%s\nwant:\n%s", out, want)
	}
}

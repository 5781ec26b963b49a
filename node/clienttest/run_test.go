package clienttest_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// result is what one run of a command-line client produced.
type result struct {
	stdout, stderr string
	err            error
}

// transcript is the client's whole output, for failure messages.
func (r result) transcript() string {
	return "stdout:\n" + r.stdout + "\nstderr:\n" + r.stderr
}

// run runs a command-line client with stdin, killing it after within.
func run(t testing.TB, within time.Duration, stdin string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not finish within %s:\nstdout:\n%s\nstderr:\n%s", name, args, within, out.String(), errb.String())
	}
	return result{stdout: out.String(), stderr: errb.String(), err: err}
}

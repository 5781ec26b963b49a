package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/yggpost/yggpost/node"
)

// setPassword reads a new password — twice without echo on a terminal, one
// line otherwise — and stores its hash.
func setPassword(n *node.Node, stdin io.Reader, stderr io.Writer) int {
	pw, err := readPassword(stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: -password: %v\n", err)
		return exitUsage
	}
	if err := n.SetPassword(pw); err != nil {
		fmt.Fprintf(stderr, "yggpost: -password: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "password set; log in as %s\n", n.Address())
	return exitOK
}

func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "New password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(stderr, "Repeat password: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the passwords do not match")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("the password must not be empty")
	}
	return line, nil
}

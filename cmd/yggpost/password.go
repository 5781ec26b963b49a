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
	pw, err := readNewPassword(stdin, stderr)
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

// readNewPassword reads a new password: on a terminal twice without echo,
// else one line of stdin.
func readNewPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	first, err := readPassword(stdin, stderr, "New password: ")
	if err != nil || !isTerminal(stdin) {
		return first, err
	}
	second, err := readPassword(stdin, stderr, "Repeat password: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", errors.New("the passwords do not match")
	}
	return first, nil
}

// readPassword reads one password: on a terminal after prompt without
// echo, else one line of stdin.
func readPassword(stdin io.Reader, stderr io.Writer, prompt string) (string, error) {
	if isTerminal(stdin) {
		fd := int(stdin.(*os.File).Fd())
		fmt.Fprint(stderr, prompt)
		pw, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if len(pw) == 0 {
			return "", errors.New("the password must not be empty")
		}
		return string(pw), nil
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

// isTerminal reports whether stdin is a terminal, where a password is
// typed without echo.
func isTerminal(stdin io.Reader) bool {
	f, ok := stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

package peer

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// reply is one SMTP reply: a code and one or more text lines. The enhanced
// status code, when present, is split off the first line.
type reply struct {
	Code     int
	Enhanced string
	Lines    []string
}

// err turns a reply into an *Error carrying its first line.
func (r *reply) err() *Error {
	msg := ""
	if len(r.Lines) > 0 {
		msg = r.Lines[0]
	}
	return &Error{Code: r.Code, Enhanced: r.Enhanced, Message: msg}
}

// writeReply writes code, enhanced status and text lines (RFC 5321 section
// 4.2: "code-" on all but the last line, "code " on the last).
func writeReply(w io.Writer, code int, enhanced string, lines ...string) error {
	if len(lines) == 0 {
		lines = []string{""}
	}
	var b strings.Builder
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		if i == 0 && enhanced != "" {
			l = enhanced + " " + l
		}
		fmt.Fprintf(&b, "%03d%s%s\r\n", code, sep, l)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// readReply reads one possibly multi-line reply. Every line must carry the
// same three-digit code; at most maxReplyLines lines of maxLine octets.
func readReply(br *bufio.Reader) (*reply, error) {
	r := &reply{}
	for n := 0; ; n++ {
		if n == maxReplyLines {
			return nil, fmt.Errorf("read reply: more than %d lines", maxReplyLines)
		}
		line, err := readLine(br)
		if err != nil {
			return nil, fmt.Errorf("read reply: %w", err)
		}
		code, last, text, err := parseReplyLine(line)
		if err != nil {
			return nil, err
		}
		if n > 0 && code != r.Code {
			return nil, fmt.Errorf("read reply: code %d changed to %d within one reply", r.Code, code)
		}
		r.Code = code
		r.Lines = append(r.Lines, text)
		if last {
			break
		}
	}
	r.Enhanced, r.Lines[0] = splitEnhanced(r.Code, r.Lines[0])
	return r, nil
}

// parseReplyLine parses "ddd-text" or "ddd text" (or a bare "ddd").
func parseReplyLine(line string) (code int, last bool, text string, err error) {
	if len(line) < 3 || !isDigits(line[:3]) || line[0] < '2' || line[0] > '5' {
		return 0, false, "", fmt.Errorf("read reply: malformed line %q", truncate(line))
	}
	code, _ = strconv.Atoi(line[:3])
	switch {
	case len(line) == 3:
		return code, true, "", nil
	case line[3] == ' ':
		return code, true, line[4:], nil
	case line[3] == '-':
		return code, false, line[4:], nil
	}
	return 0, false, "", fmt.Errorf("read reply: malformed line %q", truncate(line))
}

// splitEnhanced splits a leading RFC 3463 status code ("class.subject.detail",
// class matching the reply's first digit) off text.
func splitEnhanced(code int, text string) (enhanced, rest string) {
	word, rest, _ := strings.Cut(text, " ")
	parts := strings.Split(word, ".")
	if len(parts) != 3 || parts[0] != strconv.Itoa(code/100) {
		return "", text
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 || !isDigits(p) {
			return "", text
		}
	}
	return word, rest
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// truncate shortens peer-controlled text for error messages.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

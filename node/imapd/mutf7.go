package imapd

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Mailbox names travel in modified UTF-7 (RFC 3501 5.1.3). imapserver
// decodes every mailbox argument the way decodeMUTF7 does (raw UTF-8 is
// let through, for UTF8=ACCEPT, RFC 6855) and reports a name it cannot
// decode as a server error, before any Session method sees it; so names
// are checked on the wire first (mailboxargs.go).

// mutf7Base64 is modified BASE64: "," instead of "/", no padding.
var mutf7Base64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// Why decodeMUTF7 refuses a name; the texts end up in NO responses.
var (
	errMUTF7NotUTF8    = errors.New("it is not UTF-8")
	errMUTF7Control    = errors.New("it has a control character")
	errMUTF7Unended    = errors.New(`"&" starts a base64 run that no "-" ends (write "&-" for "&" itself)`)
	errMUTF7BadBase64  = errors.New(`a run between "&" and "-" is not modified BASE64 of UTF-16`)
	errMUTF7NullShift  = errors.New(`two base64 runs follow each other ("-&")`)
	errMUTF7ASCIIInRun = errors.New("a base64 run encodes a printable ASCII character")
	errMUTF7Surrogate  = errors.New("a base64 run holds half a UTF-16 surrogate pair")
)

// decodeMUTF7 decodes a mailbox name. It accepts exactly what go-imap's
// decoder accepts, so that a name it passes never fails in imapserver.
func decodeMUTF7(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errMUTF7NotUTF8
	}
	var b strings.Builder
	afterRun := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return "", errMUTF7Control
		}
		if c != '&' {
			b.WriteByte(c)
			afterRun = false
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", errMUTF7Unended
		}
		run := s[i+1 : i+1+end]
		i += 1 + end
		if strings.ContainsAny(run, "\r\n") { // base64 decoders skip them
			return "", errMUTF7Control
		}
		if run == "" {
			b.WriteByte('&')
			afterRun = false
			continue
		}
		if afterRun {
			return "", errMUTF7NullShift
		}
		text, err := decodeMUTF7Run(run)
		if err != nil {
			return "", err
		}
		b.WriteString(text)
		afterRun = true
	}
	return b.String(), nil
}

// decodeMUTF7Run decodes the base64 between "&" and "-".
func decodeMUTF7Run(run string) (string, error) {
	raw, err := mutf7Base64.DecodeString(run)
	if err != nil || len(raw)%2 != 0 {
		return "", errMUTF7BadBase64
	}
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
	}
	var b strings.Builder
	for i := 0; i < len(units); i++ {
		r := rune(units[i])
		if utf16.IsSurrogate(r) {
			if i++; i == len(units) {
				return "", errMUTF7Surrogate
			}
			if r = utf16.DecodeRune(r, rune(units[i])); r == utf8.RuneError {
				return "", errMUTF7Surrogate
			}
		} else if r >= 0x20 && r <= 0x7e {
			return "", errMUTF7ASCIIInRun
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

// encodeMUTF7Literal encodes s so that it decodes to s again: "&" becomes
// "&-", control characters go into base64 runs, everything else stays as
// it is (raw UTF-8 is accepted). Bytes that are not UTF-8 become U+FFFD,
// which no mailbox name holds.
func encodeMUTF7Literal(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '&':
			b.WriteString("&-")
			i++
		case c < 0x20 || c == 0x7f:
			j := i
			for j < len(s) && (s[j] < 0x20 || s[j] == 0x7f) {
				j++
			}
			b.WriteByte('&')
			b.WriteString(encodeMUTF7Run(s[i:j]))
			b.WriteByte('-')
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// encodeMUTF7Run encodes ASCII control characters as modified BASE64 of
// UTF-16.
func encodeMUTF7Run(ctl string) string {
	raw := make([]byte, 0, 2*len(ctl))
	for i := 0; i < len(ctl); i++ {
		raw = append(raw, 0, ctl[i])
	}
	return mutf7Base64.EncodeToString(raw)
}

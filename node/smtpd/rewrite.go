package smtpd

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strings"
)

// The header rewriting of a submission service (RFC 6409 §8): the server
// adds a Message-ID when the client sent none, and the node removes Bcc
// from the copies that leave. Everything else in the header block stays
// byte for byte as the client wrote it.

// NewMessageID returns a fresh Message-ID value (RFC 5322 §3.6.4),
// "<random@yggmail>", with 130 bits of randomness.
func NewMessageID() string {
	return "<" + strings.ToLower(rand.Text()) + "@yggmail>"
}

// MessageID returns the value of the first Message-ID field of a header
// block, trimmed of white space; "" if there is none or it is empty.
func MessageID(header []byte) string {
	for _, v := range HeaderValues(header, "Message-ID") {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// ensureMessageID returns header unchanged if it has a non-empty
// Message-ID field. Otherwise it removes any empty Message-ID fields and
// adds a new one as the last field (see AddField); id is the value it
// added ("" if none was added).
func ensureMessageID(header []byte) (out []byte, id string) {
	if MessageID(header) != "" {
		return header, ""
	}
	id = NewMessageID()
	return AddField(RemoveFields(header, "Message-ID"), "Message-ID: "+id), id
}

// AddField returns a copy of a header block with field ("Name: value")
// added as its last field, ending in the same line break as the header's
// first line (CRLF if it has none).
func AddField(header []byte, field string) []byte {
	eol := LineEnding(header)
	at := headerEnd(header)
	out := make([]byte, 0, len(header)+2*len(eol)+len(field))
	out = append(out, header[:at]...)
	if at > 0 && header[at-1] != '\n' {
		out = append(out, eol...) // a message that ends inside its last field
	}
	out = append(out, field+eol...)
	return append(out, header[at:]...)
}

// LineEnding returns the line break of a header block's first line:
// "\n" for a bare LF, else "\r\n".
func LineEnding(header []byte) string {
	if i := bytes.IndexByte(header, '\n'); i >= 0 && (i == 0 || header[i-1] != '\r') {
		return "\n"
	}
	return "\r\n"
}

// HeaderAddresses returns the addresses (local@domain) in every field
// called one of names, or an error if one of those fields cannot be
// parsed as an address list (RFC 5322 §3.4).
func HeaderAddresses(header []byte, names ...string) ([]string, error) {
	var addrs []string
	for _, name := range names {
		for _, v := range HeaderValues(header, name) {
			if strings.TrimSpace(v) == "" {
				continue
			}
			list, err := addressParser.ParseList(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("parse %s field %q: %w", name, v, err)
			}
			for _, a := range list {
				addrs = append(addrs, a.Address)
			}
		}
	}
	return addrs, nil
}

// headerEnd returns the offset of the empty line that ends a header block,
// or len(header) if there is none.
func headerEnd(header []byte) int {
	for at := 0; at < len(header); {
		line := header[at:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return at
		}
		at += len(line)
	}
	return len(header)
}

// RemoveFields returns a copy of a header block without the fields called
// name (case-insensitive), each with its folded continuation lines
// (RFC 5322 §2.2.3). Every other byte is kept, in order, including the
// empty line that ends the block and anything after it.
func RemoveFields(header []byte, name string) []byte {
	out := make([]byte, 0, len(header))
	skipping := false
	rest := header
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		rest = rest[len(line):]
		switch {
		case len(bytes.TrimRight(line, "\r\n")) == 0: // end of the header block
			out = append(out, line...)
			return append(out, rest...)
		case line[0] == ' ' || line[0] == '\t':
			// a continuation belongs to the field before it
		default:
			field, _, ok := bytes.Cut(line, []byte(":"))
			skipping = ok && strings.EqualFold(string(bytes.TrimRight(field, " \t")), name)
		}
		if !skipping {
			out = append(out, line...)
		}
	}
	return out
}

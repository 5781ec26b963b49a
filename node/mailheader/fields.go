package mailheader

import (
	"bytes"
	"iter"
	"strings"
)

// A line of a header block, split by lines.
type line struct {
	raw   []byte // the line as written, with its line break
	kind  lineKind
	name  []byte // of a field, without white space before the colon
	value []byte // of a field or a continuation, without the line break
}

type lineKind int

const (
	lineField        lineKind = iota // starts a field
	lineContinuation                 // starts with SP or HTAB (§2.2.3)
	lineOther                        // neither: not part of any field
	lineEnd                          // the empty line that ends the block
)

// lines yields the lines of a header block up to and including the empty
// line that ends it; input after that line is not yielded.
func lines(block []byte) iter.Seq[line] {
	return func(yield func(line) bool) {
		for raw := range bytes.Lines(block) {
			l := split(raw)
			if !yield(l) || l.kind == lineEnd {
				return
			}
		}
	}
}

// split classifies one line (see the package comment).
func split(raw []byte) line {
	text := trimBreak(raw)
	switch {
	case isEmptyLine(raw), string(raw) == "\r": // a lone CR can only end the input
		return line{raw: raw, kind: lineEnd}
	case len(text) > 0 && (text[0] == ' ' || text[0] == '\t'):
		return line{raw: raw, kind: lineContinuation, value: text}
	}
	name, value, ok := bytes.Cut(text, []byte(":"))
	name = bytes.TrimRight(name, " \t")
	if !ok || !isFieldName(name) {
		return line{raw: raw, kind: lineOther}
	}
	return line{raw: raw, kind: lineField, name: name, value: value}
}

// trimBreak returns a line without its line break: LF and one CR before
// it. A CR that ends the input is taken for a line break cut short.
func trimBreak(raw []byte) []byte {
	raw, _ = bytes.CutSuffix(raw, []byte("\n"))
	raw, _ = bytes.CutSuffix(raw, []byte("\r"))
	return raw
}

// isFieldName reports whether name is a field name: one or more printable
// US-ASCII characters other than colon (RFC 5322 §3.6.8 ftext).
func isFieldName(name []byte) bool {
	for _, c := range name {
		if c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return len(name) > 0
}

// Values returns the unfolded values of every field called name in a
// header block, in order, untrimmed (" <a@b>" for "To: <a@b>").
func Values(block []byte, name string) []string {
	var values []string
	var cur *strings.Builder // the value being unfolded; nil outside a wanted field
	for l := range lines(block) {
		if l.kind == lineContinuation {
			if cur != nil {
				cur.Write(l.value)
			}
			continue
		}
		if cur != nil {
			values = append(values, cur.String())
			cur = nil
		}
		if l.kind == lineField && strings.EqualFold(string(l.name), name) {
			cur = new(strings.Builder)
			cur.Write(l.value)
		}
	}
	if cur != nil {
		values = append(values, cur.String())
	}
	return values
}

// MessageID returns a header block's Message-ID (RFC 5322 §3.6.4): the
// value of its first Message-ID field that is not empty, trimmed of white
// space; "" if it has none.
func MessageID(block []byte) string {
	for _, v := range Values(block, "Message-ID") {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// End returns the offset of the empty line that ends a header block, or
// len(block) if it has none.
func End(block []byte) int {
	at := 0
	for l := range lines(block) {
		if l.kind == lineEnd {
			return at
		}
		at += len(l.raw)
	}
	return len(block)
}

// LineEnding returns the line break of a header block's first line: "\n"
// for a bare LF, else "\r\n".
func LineEnding(block []byte) string {
	if i := bytes.IndexByte(block, '\n'); i >= 0 && (i == 0 || block[i-1] != '\r') {
		return "\n"
	}
	return "\r\n"
}

// AddField returns a copy of a header block with field ("Name: value")
// added as its last field, ended by the block's LineEnding. A block whose
// last line has no line break gets one before the new field.
func AddField(block []byte, field string) []byte {
	eol := LineEnding(block)
	at := End(block)
	out := make([]byte, 0, len(block)+2*len(eol)+len(field))
	out = append(out, block[:at]...)
	if at > 0 && block[at-1] != '\n' {
		out = append(out, eol...)
	}
	out = append(out, field+eol...)
	return append(out, block[at:]...)
}

// RemoveFields returns a copy of a header block without the fields called
// name, each with its continuation lines. Every other byte is kept, in
// order, including the empty line that ends the block and anything after
// it.
func RemoveFields(block []byte, name string) []byte {
	out := make([]byte, 0, len(block))
	skipping := false
	at := 0
	for l := range lines(block) {
		at += len(l.raw)
		if l.kind != lineContinuation {
			skipping = l.kind == lineField && strings.EqualFold(string(l.name), name)
		}
		if !skipping {
			out = append(out, l.raw...)
		}
	}
	return append(out, block[at:]...)
}

package mailheader

import "strings"

// KeepFields returns a copy of a header block with only the fields called
// one of names (without regard to case), each with its continuation
// lines, in order and byte for byte, and the empty line that ends the
// block; a block without one gets a CRLF in its place. It is IMAP's
// BODY[HEADER.FIELDS (...)] (RFC 9051 6.4.5); RemoveFields, once per
// name, is HEADER.FIELDS.NOT.
func KeepFields(block []byte, names ...string) []byte {
	out := make([]byte, 0, len(block))
	keeping, ended := false, false
	for l := range lines(block) {
		switch l.kind {
		case lineEnd:
			out, ended = append(out, l.raw...), true
			continue
		case lineField:
			keeping = false
			for _, n := range names {
				keeping = keeping || strings.EqualFold(string(l.name), n)
			}
		case lineOther:
			keeping = false
		}
		if keeping {
			out = append(out, l.raw...)
		}
	}
	return Ended(out, ended)
}

// Ended returns block with an empty line after its last line unless ended
// says it has one: a last line without a line break gets a CRLF first.
func Ended(block []byte, ended bool) []byte {
	if ended {
		return block
	}
	if len(block) > 0 && block[len(block)-1] != '\n' {
		block = append(block, '\r', '\n')
	}
	return append(block, '\r', '\n')
}

// HasEnd reports whether a header block includes the empty line that ends
// it.
func HasEnd(block []byte) bool {
	return End(block) < len(block)
}

package mailheader

import (
	"fmt"
	"io"
	"mime"
	"strings"

	gomessage "github.com/emersion/go-message"
)

// A Mailbox is one address of an address list (RFC 5322 §3.4).
type Mailbox struct {
	Name   string // display name with encoded words decoded, or the comment after a bare address; "" if none
	Local  string // local part, quotes and escapes removed; "" if it has none
	Domain string // domain, a domain literal as written; "" if it has none
}

// An Entry of an address list is a mailbox, or a group: a display name
// with the mailboxes listed in it, possibly none ("undisclosed-recipients:;").
type Entry struct {
	Mailbox
	IsGroup bool
	Group   string // the group's display name as written, encoded words kept
	Members []Mailbox
}

// AddressList reads an address list (RFC 5322 §3.4, with the obsolete
// forms of §4.4) from a field value and returns what it can read; it never
// fails. It is the reader for showing and searching addresses (IMAP
// ENVELOPE and SEARCH), not a check: From and Addresses refuse what
// net/mail refuses, while AddressList reads groups, comments anywhere
// (<user (c)@ (c) example.org>), source routes, and broken lists (a
// missing '>' or ';', a mailbox without a domain) as far as they go.
//
// Where net/mail reads a list, AddressList reads the same mailboxes
// (FuzzAddressList checks it). Encoded words (RFC 2047) in display names
// are decoded with go-message's charset tables; a word in a charset
// neither knows is kept as written.
func AddressList(value string) []Entry {
	var entries []Entry
	var chunk []token
	var group *Entry
	depth := 0 // inside angle brackets
	add := func() {
		m, ok := readMailbox(chunk)
		chunk = chunk[:0]
		switch {
		case !ok:
		case group != nil:
			group.Members = append(group.Members, m)
		default:
			entries = append(entries, Entry{Mailbox: m})
		}
	}
	for _, t := range tokens(value) {
		switch {
		case t.is('<'):
			depth++
		case t.is('>') && depth > 0:
			depth--
		case depth > 0:
		case t.is(','):
			add()
			continue
		case t.is(':') && group == nil:
			group = &Entry{IsGroup: true, Group: phrase(chunk, false)}
			chunk = chunk[:0]
			continue
		case t.is(';'):
			add()
			if group != nil {
				entries = append(entries, *group)
				group = nil
			}
			continue
		}
		chunk = append(chunk, t)
	}
	add()
	if group != nil {
		entries = append(entries, *group)
	}
	return entries
}

// Mailboxes returns the mailboxes of an address list, those in groups
// included, in order.
func Mailboxes(entries []Entry) []Mailbox {
	var out []Mailbox
	for _, e := range entries {
		if e.IsGroup {
			out = append(out, e.Members...)
		} else {
			out = append(out, e.Mailbox)
		}
	}
	return out
}

// readMailbox reads one mailbox from the tokens between two separators;
// ok is false when they hold nothing but white space and comments.
func readMailbox(ts []token) (m Mailbox, ok bool) {
	open := -1
	for i, t := range ts {
		if t.is('<') {
			open = i
			break
		}
	}
	spec := ts
	if open >= 0 {
		m.Name = phrase(ts[:open], true)
		spec = angleContent(ts[open+1:])
	}
	words := meaningful(spec)
	if len(words) == 0 && open < 0 {
		return m, false
	}
	at := -1
	for i, t := range words {
		if t.is('@') {
			at = i
		}
	}
	if at < 0 {
		m.Local = phrase(spec, false)
	} else {
		m.Local, m.Domain = join(words[:at]), join(words[at+1:])
	}
	if open < 0 {
		m.Name = trailingComment(ts)
	}
	return m, true
}

// angleContent returns the tokens inside an angle-addr up to its '>' (or
// the end), without an obsolete source route ("@a,@b:").
func angleContent(ts []token) []token {
	for i, t := range ts {
		if t.is('>') {
			ts = ts[:i]
			break
		}
	}
	words := meaningful(ts)
	if len(words) > 0 && words[0].is('@') {
		for i, t := range ts {
			if t.is(':') {
				return ts[i+1:]
			}
		}
	}
	return ts
}

// meaningful drops white space and comments.
func meaningful(ts []token) []token {
	var out []token
	for _, t := range ts {
		if t.kind != tokSpace && t.kind != tokComment {
			out = append(out, t)
		}
	}
	return out
}

// join concatenates the text of tokens, as in a local part or a domain.
func join(ts []token) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(t.text)
	}
	return b.String()
}

// trailingComment is the first comment after a bare address, which
// net/mail and mail clients take for its display name.
func trailingComment(ts []token) string {
	last := -1
	for i, t := range ts {
		if t.kind != tokSpace && t.kind != tokComment {
			last = i
		}
	}
	for _, t := range ts[last+1:] {
		if t.kind == tokComment {
			return decodeWords(strings.Join(strings.Fields(t.text), " "))
		}
	}
	return ""
}

// phrase returns the words of a display name separated by single spaces,
// as net/mail does: a quoted string is a word of its own, and so is an
// atom, dots included (obs-phrase, RFC 5322 §4.1); a comment
// separates words like white space. With decode, encoded words outside
// quoted strings are decoded, and white space between two of them dropped
// (RFC 2047 §6.2).
func phrase(ts []token, decode bool) string {
	var b strings.Builder
	space, prevEncoded, prevQuoted := false, false, false
	for _, t := range ts {
		if t.kind == tokSpace || t.kind == tokComment {
			space = b.Len() > 0
			continue
		}
		text, encoded, quoted := t.text, false, t.kind == tokQuoted
		if decode && t.kind == tokAtom && isEncodedWord(text) {
			if dec, err := wordDecoder.Decode(text); err == nil {
				text, encoded = dec, true
			}
		}
		newWord := space || quoted || prevQuoted
		if b.Len() > 0 && newWord && !(encoded && prevEncoded) {
			b.WriteByte(' ')
		}
		b.WriteString(text)
		space, prevEncoded, prevQuoted = false, encoded, quoted
	}
	return b.String()
}

func isEncodedWord(s string) bool {
	return strings.HasPrefix(s, "=?") && strings.HasSuffix(s, "?=") && strings.Count(s, "?") >= 4
}

// decodeWords decodes the encoded words of unstructured text, keeping any
// it cannot decode.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	out, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return out
}

// DecodeText returns unstructured header text (RFC 5322 §3.2.5, a
// Subject) with its encoded words (RFC 2047) decoded, and the text as
// written where they cannot be.
func DecodeText(value string) string {
	return decodeWords(value)
}

// wordDecoder decodes encoded words in the charsets go-message knows once
// its charset package is linked in, and in Go's own otherwise.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	if gomessage.CharsetReader == nil {
		return nil, fmt.Errorf("unknown charset %q", charset)
	}
	return gomessage.CharsetReader(charset, input)
}}

// A token of an address list (RFC 5322 §3.2).
type token struct {
	kind tokKind
	text string // a quoted string or comment without its delimiters and escapes
}

type tokKind int

const (
	tokAtom    tokKind = iota // a run of atext and dots, or of any other byte that is not one of the below
	tokQuoted                 // "..."
	tokComment                // (...), nested
	tokLiteral                // [...], kept with its brackets
	tokSpecial                // one of < > : ; , @
	tokSpace                  // a run of white space, line breaks included
)

func (t token) is(c byte) bool { return t.kind == tokSpecial && t.text[0] == c }

// tokens splits an address list into tokens. An unterminated quoted
// string, comment or domain literal runs to the end.
func tokens(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			j := i
			for j < len(s) && strings.IndexByte(" \t\r\n", s[j]) >= 0 {
				j++
			}
			out, i = append(out, token{kind: tokSpace, text: " "}), j
		case c == '"':
			text, n := delimited(s[i+1:], '"', 0)
			out, i = append(out, token{kind: tokQuoted, text: text}), i+1+n
		case c == '(':
			text, n := delimited(s[i+1:], ')', '(')
			out, i = append(out, token{kind: tokComment, text: text}), i+1+n
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				j = len(s) - i - 1
			}
			out, i = append(out, token{kind: tokLiteral, text: s[i : i+j+1]}), i+j+1
		case strings.IndexByte("<>:;,@", c) >= 0:
			out, i = append(out, token{kind: tokSpecial, text: s[i : i+1]}), i+1
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\r\n\"(<>:;,@[", s[j]) < 0 {
				j++
			}
			out, i = append(out, token{kind: tokAtom, text: s[i:j]}), j
		}
	}
	return out
}

// delimited reads a quoted string (nest 0) or a comment (nest '(') up to
// its closing byte, resolving backslash escapes; it returns the content
// and how many bytes it took, the closing byte included.
func delimited(s string, end, nest byte) (string, int) {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == end && depth == 0:
			return b.String(), i + 1
		case c == end:
			depth--
			b.WriteByte(c)
		case nest != 0 && c == nest:
			depth++
			b.WriteByte(c)
		case c == '\r' || c == '\n':
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), len(s)
}

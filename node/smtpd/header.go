package smtpd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"

	"github.com/yggpost/yggpost/envelope"
)

// ReadHeader reads the header block of a message (RFC 5322 §2.1: up to
// and including the first empty line) and returns it with a reader for
// the rest. The header block is held in memory, at most max bytes of it;
// the body is left in rest unread. A message that ends inside its header
// block is all header.
func ReadHeader(r io.Reader, max int) (header []byte, rest io.Reader, err error) {
	br := bufio.NewReaderSize(r, 32<<10)
	lineStart := 0
	for {
		frag, err := br.ReadSlice('\n')
		header = append(header, frag...)
		if len(header) > max {
			return nil, nil, reply(552, 5, 3, 4, "message header block is larger than %d bytes", max)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue // the line goes on
		case errors.Is(err, io.EOF):
			return header, br, nil
		case err != nil:
			return nil, nil, fmt.Errorf("read message header: %w", err)
		}
		if line := header[lineStart:]; bytes.Equal(line, []byte("\r\n")) || bytes.Equal(line, []byte("\n")) {
			return header, br, nil
		}
		lineStart = len(header)
	}
}

// HeaderValues returns the unfolded values of every field called name
// (case-insensitive) in a header block. Lines that are not a field are
// skipped; the empty line ends the block.
func HeaderValues(header []byte, name string) []string {
	var values []string
	var cur *strings.Builder
	for _, line := range bytes.SplitAfter(header, []byte("\n")) {
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if cur != nil {
				values = append(values, cur.String())
			}
			return values
		}
		if line[0] == ' ' || line[0] == '\t' { // RFC 5322 §2.2.3 folding
			if cur != nil {
				cur.Write(line)
			}
			continue
		}
		if cur != nil {
			values = append(values, cur.String())
			cur = nil
		}
		field, value, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimRight(field, " \t")), name) {
			cur = new(strings.Builder)
			cur.Write(value)
		}
	}
	if cur != nil {
		values = append(values, cur.String())
	}
	return values
}

// addressParser parses From: values. Encoded words in display names in
// charsets Go does not know are passed through undecoded: only the
// address matters here.
var addressParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(_ string, input io.Reader) (io.Reader, error) { return input, nil },
}}

// checkFrom enforces that the message's From: header (RFC 5322 §3.6.2)
// is exactly one mailbox, the node's own address local.
func checkFrom(header []byte, local envelope.Address) error {
	values := HeaderValues(header, "From")
	switch len(values) {
	case 0:
		return reply(550, 5, 6, 0, "the message has no From: header; it must say From: <%s>", local)
	case 1:
	default:
		return reply(550, 5, 6, 0, "the message has %d From: headers; exactly one is allowed", len(values))
	}
	list, err := addressParser.ParseList(strings.TrimSpace(values[0]))
	if err != nil {
		return reply(550, 5, 6, 0, "the From: header cannot be parsed (%v); it must say From: <%s>", err, local)
	}
	if len(list) != 1 {
		return reply(550, 5, 7, 1, "the From: header must name exactly one address, <%s>", local)
	}
	addr, err := envelope.ParseAddress(list[0].Address)
	if err != nil || addr != local {
		return reply(550, 5, 7, 1, "From: <%s> is not allowed; this node sends only as <%s>", list[0].Address, local)
	}
	return nil
}

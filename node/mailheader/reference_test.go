package mailheader

// The reference: frozen copies of the header routines this package
// replaced, as they were in node/fromheader.go, node/smtpd/header.go,
// node/smtpd/rewrite.go, node/imapd/content.go, node/imapd/sentcopy.go,
// node/bounce.go and node/receive_classic.go before the switch. The
// differential fuzz target (FuzzDifferential) checks the package against
// them. They are test code only: do not fix them, and do not call them
// from anything but the differential test. Their errors are this
// package's sentinels where the originals had the node's or an SMTP reply.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/yggpost/yggpost/envelope"
)

// refNodeMax was node's maxHeaderBytes.
const refNodeMax = 256 << 10

// refNodeReadHeaderBlock was node.readHeaderBlock.
func refNodeReadHeaderBlock(msg io.Reader) (envelope.Address, []byte, io.Reader, error) {
	br := bufio.NewReaderSize(msg, 32<<10)
	head, err := refNodeReadHead(br)
	if err != nil {
		return envelope.Address{}, nil, nil, err
	}
	from, err := refNodeFromAddress(head)
	if err != nil {
		return envelope.Address{}, nil, nil, err
	}
	return from, head, io.MultiReader(bytes.NewReader(head), br), nil
}

// refNodeReadHead was node.readHead.
func refNodeReadHead(br *bufio.Reader) ([]byte, error) {
	var head bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		head.Write(line)
		if head.Len() > refNodeMax {
			return nil, ErrTooLarge
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read message header: %w", err)
		}
		if err != nil || len(bytes.TrimRight(line, "\r\n")) == 0 {
			return head.Bytes(), nil
		}
	}
}

// refNodeFromAddress was node.fromAddress.
func refNodeFromAddress(head []byte) (envelope.Address, error) {
	block := append(bytes.Clone(bytes.TrimRight(head, "\r\n")), "\r\n\r\n"...)
	m, err := mail.ReadMessage(bytes.NewReader(block))
	if err != nil {
		return envelope.Address{}, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	field := strings.TrimSpace(m.Header.Get("From"))
	if field == "" {
		return envelope.Address{}, ErrNoFrom
	}
	list, err := mail.ParseAddressList(field)
	if err != nil {
		return envelope.Address{}, fmt.Errorf("%w: From %q: %v", ErrBadHeader, field, err)
	}
	if len(list) != 1 {
		return envelope.Address{}, fmt.Errorf("%w: From names %d addresses, want one", ErrBadHeader, len(list))
	}
	a, err := envelope.ParseAddress(list[0].Address)
	if err != nil {
		return envelope.Address{}, fmt.Errorf("%w: From: %w", ErrBadHeader, err)
	}
	return a, nil
}

// refSMTPReadHeader was smtpd.ReadHeader.
func refSMTPReadHeader(r io.Reader, max int) (header []byte, rest io.Reader, err error) {
	br := bufio.NewReaderSize(r, 32<<10)
	lineStart := 0
	for {
		frag, err := br.ReadSlice('\n')
		header = append(header, frag...)
		if len(header) > max {
			return nil, nil, ErrTooLarge
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
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

// refSMTPHeaderValues was smtpd.HeaderValues.
func refSMTPHeaderValues(header []byte, name string) []string {
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
		if line[0] == ' ' || line[0] == '\t' {
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

// refSMTPCheckFrom was smtpd.checkFrom; it returned 550 replies, here
// the enhanced code ("" when the message passed).
func refSMTPCheckFrom(header []byte, local envelope.Address) string {
	values := refSMTPHeaderValues(header, "From")
	if len(values) != 1 {
		return "5.6.0"
	}
	list, err := addressParser.ParseList(strings.TrimSpace(values[0]))
	if err != nil {
		return "5.6.0"
	}
	if len(list) != 1 {
		return "5.7.1"
	}
	addr, err := envelope.ParseAddress(list[0].Address)
	if err != nil || addr != local {
		return "5.7.1"
	}
	return ""
}

// refSMTPMessageID was smtpd.MessageID.
func refSMTPMessageID(header []byte) string {
	for _, v := range refSMTPHeaderValues(header, "Message-ID") {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// refSMTPAddField was smtpd.AddField.
func refSMTPAddField(header []byte, field string) []byte {
	eol := refSMTPLineEnding(header)
	at := refSMTPHeaderEnd(header)
	out := make([]byte, 0, len(header)+2*len(eol)+len(field))
	out = append(out, header[:at]...)
	if at > 0 && header[at-1] != '\n' {
		out = append(out, eol...)
	}
	out = append(out, field+eol...)
	return append(out, header[at:]...)
}

// refSMTPLineEnding was smtpd.LineEnding.
func refSMTPLineEnding(header []byte) string {
	if i := bytes.IndexByte(header, '\n'); i >= 0 && (i == 0 || header[i-1] != '\r') {
		return "\n"
	}
	return "\r\n"
}

// refSMTPHeaderAddresses was smtpd.HeaderAddresses.
func refSMTPHeaderAddresses(header []byte, names ...string) ([]string, error) {
	var addrs []string
	for _, name := range names {
		for _, v := range refSMTPHeaderValues(header, name) {
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

// refSMTPHeaderEnd was smtpd.headerEnd.
func refSMTPHeaderEnd(header []byte) int {
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

// refSMTPRemoveFields was smtpd.RemoveFields.
func refSMTPRemoveFields(header []byte, name string) []byte {
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
		case len(bytes.TrimRight(line, "\r\n")) == 0:
			out = append(out, line...)
			return append(out, rest...)
		case line[0] == ' ' || line[0] == '\t':
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

// refIMAPReadHeaderBlock was imapd.readHeaderBlock.
func refIMAPReadHeaderBlock(br *bufio.Reader, max int) ([]byte, error) {
	var buf bytes.Buffer
	for buf.Len() < max {
		line, err := br.ReadSlice('\n')
		buf.Write(line)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(line) == 1 || (len(line) == 2 && line[0] == '\r') {
			break
		}
	}
	if buf.Len() == 0 {
		return []byte{}, nil
	}
	return buf.Bytes(), nil
}

// refIMAPMessageID was imapd.messageIDOf.
func refIMAPMessageID(head []byte) string {
	r := io.MultiReader(bytes.NewReader(head), strings.NewReader("\r\n"))
	h, _ := textproto.ReadHeader(bufio.NewReader(r))
	return strings.TrimSpace(h.Get("Message-Id"))
}

// refBounceMessageID was node.originalMessageID.
func refBounceMessageID(head []byte) string {
	if len(head) == 0 {
		return ""
	}
	m, err := mail.ReadMessage(bytes.NewReader(append(bytes.Clone(bytes.TrimRight(head, "\r\n")), "\r\n\r\n"...)))
	if err != nil {
		return ""
	}
	return refOneLine(strings.TrimSpace(m.Header.Get("Message-Id")))
}

func refOneLine(s string) string {
	return string(bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, []byte(s)))
}

// refClassicMessageID is the Message-ID that node.classicDedupKey hashed
// with the sender, and whether it used one.
func refClassicMessageID(head []byte) (string, bool) {
	m, err := mail.ReadMessage(bytes.NewReader(append(bytes.Clone(head), "\r\n"...)))
	if err != nil {
		return "", false
	}
	id := m.Header.Get("Message-Id")
	return id, id != ""
}

package imapd

import (
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"strings"

	"github.com/emersion/go-imap/v2"
	gomessage "github.com/emersion/go-message"
)

// structure computes BODYSTRUCTURE (RFC 9051 7.5.2) by streaming the
// message once: leaf parts are counted, never buffered (imapserver's
// ExtractBodyStructure reads each leaf part whole into memory). Parts are
// found and typed as BODY[part] and BINARY find them (entity): a missing
// or unreadable Content-Type is text/plain; charset=us-ascii, or
// message/rfc822 in a multipart/digest.
func (s *session) structure(c *content) (imap.BodyStructure, error) {
	r, err := c.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	er := &errReader{r: r}
	bs := partStructure(readEntity(er), 0)
	if er.err != nil {
		return nil, fmt.Errorf("read message %d: %w", c.msg.UID, er.err)
	}
	return bs, nil
}

// errReader remembers the first read error other than EOF, which the MIME
// parser would otherwise take for the end of a part.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// maxNesting bounds multipart and message/rfc822 nesting; deeper parts are
// described as leaves.
const maxNesting = 32

func partStructure(e entity, depth int) imap.BodyStructure {
	typ, sub, params, _ := e.mediaType()
	h := gomessage.Header{Header: e.header}
	if e.boundary() != "" && depth < maxNesting {
		if bs := multipartStructure(e, h, sub, params, depth); bs != nil {
			return bs
		}
	}
	cr := &lineCounter{r: e.body}
	bs := &imap.BodyStructureSinglePart{
		Type: typ, Subtype: sub, Params: params,
		ID:          h.Get("Content-Id"),
		Description: h.Get("Content-Description"),
		Encoding:    cteToken(h.Get("Content-Transfer-Encoding")),
		Extended: &imap.BodyStructureSinglePartExt{
			Disposition: disposition(h),
			Language:    languages(h),
			Location:    h.Get("Content-Location"),
		},
	}
	if e.isMessage() {
		bs.MessageRFC822 = messageStructure(cr, depth)
	}
	_, _ = io.Copy(io.Discard, cr) // count the rest; read errors surface through errReader
	if bs.MessageRFC822 != nil {
		bs.MessageRFC822.NumLines = cr.lines
	}
	if typ == "text" {
		bs.Text = &imap.BodyStructureText{NumLines: cr.lines}
	}
	bs.Size = uint32(min(cr.bytes, math.MaxUint32))
	return bs
}

// messageStructure describes the message a message/rfc822 part holds: its
// envelope and structure, which the syntax requires (RFC 9051 9,
// body-type-msg); past maxNesting an empty envelope and a text/plain body.
func messageStructure(body io.Reader, depth int) *imap.BodyStructureMessageRFC822 {
	if depth+1 >= maxNesting {
		return &imap.BodyStructureMessageRFC822{
			Envelope:      &imap.Envelope{},
			BodyStructure: &imap.BodyStructureSinglePart{Type: "text", Subtype: "plain", Text: &imap.BodyStructureText{}, Extended: &imap.BodyStructureSinglePartExt{}},
		}
	}
	inner := readEntity(body)
	return &imap.BodyStructureMessageRFC822{
		Envelope:      envelopeOf(inner.raw),
		BodyStructure: partStructure(inner, depth+1),
	}
}

// multipartStructure describes a multipart body; nil if it has no parts
// (imapserver cannot write an empty multipart), so the caller describes it
// as a leaf.
func multipartStructure(e entity, h gomessage.Header, sub string, params map[string]string, depth int) imap.BodyStructure {
	bs := &imap.BodyStructureMultiPart{Subtype: sub}
	e.parts(func(_ int, p entity) bool {
		bs.Children = append(bs.Children, partStructure(p, depth+1))
		return true
	})
	if len(bs.Children) == 0 {
		return nil
	}
	bs.Extended = &imap.BodyStructureMultiPartExt{
		Params:      params,
		Disposition: disposition(h),
		Language:    languages(h),
		Location:    h.Get("Content-Location"),
	}
	return bs
}

// disposition reads Content-Disposition (RFC 2183); a parameter that
// cannot be read loses the parameters, not the value.
func disposition(h gomessage.Header) *imap.BodyStructureDisposition {
	v := h.Get("Content-Disposition")
	value, params, err := mime.ParseMediaType(v)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		value, _, _ = strings.Cut(v, ";")
		value, params = strings.ToLower(strings.TrimSpace(value)), nil
	}
	if value == "" {
		return nil
	}
	return &imap.BodyStructureDisposition{Value: value, Params: params}
}

func languages(h gomessage.Header) []string {
	v := h.Get("Content-Language")
	if v == "" {
		return nil
	}
	var out []string
	for _, l := range strings.Split(v, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// lineCounter counts the bytes and lines read through it.
type lineCounter struct {
	r     io.Reader
	bytes int64
	lines int64
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.bytes += int64(n)
	for _, b := range p[:n] {
		if b == '\n' {
			c.lines++
		}
	}
	return n, err
}

package imapd

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// structure computes BODYSTRUCTURE (RFC 9051 7.5.2) by streaming the
// message once: leaf parts are counted, never buffered (imapserver's
// ExtractBodyStructure reads each leaf part whole into memory).
func (s *session) structure(c *content) (imap.BodyStructure, error) {
	r, err := c.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	er := &errReader{r: r}
	br := bufio.NewReader(er)
	h, _ := textproto.ReadHeader(br)
	bs := partStructure(h, br, 0)
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
// described as opaque leaves.
const maxNesting = 32

func partStructure(raw textproto.Header, body io.Reader, depth int) imap.BodyStructure {
	h := gomessage.Header{Header: raw}
	mediaType, params, _ := h.ContentType()
	typ, sub, _ := strings.Cut(mediaType, "/")
	if typ == "multipart" && depth < maxNesting {
		if bs := multipartStructure(h, sub, params, body, depth); bs != nil {
			return bs
		}
	}
	cr := &lineCounter{r: body}
	bs := &imap.BodyStructureSinglePart{
		Type: typ, Subtype: sub, Params: params,
		ID:          h.Get("Content-Id"),
		Description: h.Get("Content-Description"),
		Encoding:    h.Get("Content-Transfer-Encoding"),
		Extended: &imap.BodyStructureSinglePartExt{
			Disposition: disposition(h),
			Language:    languages(h),
			Location:    h.Get("Content-Location"),
		},
	}
	if (mediaType == "message/rfc822" || mediaType == "message/global") && depth < maxNesting {
		br := bufio.NewReader(cr)
		inner, _ := textproto.ReadHeader(br)
		bs.MessageRFC822 = &imap.BodyStructureMessageRFC822{
			Envelope:      imapserver.ExtractEnvelope(inner),
			BodyStructure: partStructure(inner, br, depth+1),
		}
		_, _ = io.Copy(io.Discard, br) // count the rest; read errors surface through errReader
		bs.MessageRFC822.NumLines = cr.lines
	} else {
		_, _ = io.Copy(io.Discard, cr) // read errors surface through errReader
	}
	if typ == "text" {
		bs.Text = &imap.BodyStructureText{NumLines: cr.lines}
	}
	bs.Size = uint32(min(cr.bytes, math.MaxUint32))
	return bs
}

// multipartStructure describes a multipart body; nil if it has no parts
// (imapserver cannot write an empty multipart), so the caller describes it
// as a leaf.
func multipartStructure(h gomessage.Header, sub string, params map[string]string, body io.Reader, depth int) imap.BodyStructure {
	if params["boundary"] == "" {
		return nil
	}
	mr := textproto.NewMultipartReader(body, params["boundary"])
	bs := &imap.BodyStructureMultiPart{Subtype: sub}
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		bs.Children = append(bs.Children, partStructure(p.Header, p, depth+1))
	}
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

func disposition(h gomessage.Header) *imap.BodyStructureDisposition {
	value, params, _ := h.ContentDisposition()
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

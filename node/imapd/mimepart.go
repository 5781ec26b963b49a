package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/yggpost/yggpost/node/mailheader"
)

// entity is one MIME entity (RFC 2045 2.4) of a message being read: the
// message itself, a body part of a multipart, or the message inside a
// message/rfc822 part. BODYSTRUCTURE, BODY[part], BINARY and SEARCH all
// find parts through it, so that they number and type them alike.
type entity struct {
	raw       []byte // the header block as stored; nil for a body part
	header    textproto.Header
	body      io.Reader // as stored, transfer-encoded
	parentSub string    // subtype of the multipart it is a part of; "" if none
}

// readEntity reads a message, or a message inside a message/rfc822 part:
// its header block ends where mailheader says, and a field that cannot be
// read (go-message stops at a line that is not one) does not move the
// start of the body.
func readEntity(r io.Reader) entity {
	block, rest, err := mailheader.Read(r, maxHeaderSize)
	if err != nil && !errors.Is(err, mailheader.ErrTooLarge) {
		return entity{body: bytes.NewReader(nil)}
	}
	return entity{raw: block, header: parseBlock(block), body: rest}
}

// parseBlock parses the fields of a header block that go-message can read.
func parseBlock(block []byte) textproto.Header {
	h, _ := textproto.ReadHeader(bufio.NewReader(io.MultiReader(bytes.NewReader(block), strings.NewReader("\r\n"))))
	return h
}

// mediaType is an entity's content type (RFC 2045 5), lower case. A
// missing or unreadable Content-Type is text/plain; charset=us-ascii
// (RFC 2045 5.2), or message/rfc822 in a multipart/digest (RFC 2046
// 5.1.5); dflt reports either. A parameter that cannot be read loses the
// parameters, not the type.
func (e entity) mediaType() (typ, sub string, params map[string]string, dflt bool) {
	v := e.header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(v)
	if errors.Is(err, mime.ErrInvalidMediaParameter) {
		err = nil
	}
	typ, sub, ok := strings.Cut(mt, "/")
	if strings.TrimSpace(v) == "" || err != nil || !ok || typ == "" || sub == "" {
		if e.parentSub == "digest" {
			return "message", "rfc822", nil, true
		}
		return "text", "plain", map[string]string{"charset": "us-ascii"}, true
	}
	return typ, sub, params, false
}

// boundary returns the boundary of a multipart entity; "" for any other.
func (e entity) boundary() string {
	typ, _, params, _ := e.mediaType()
	if typ != "multipart" {
		return ""
	}
	return params["boundary"]
}

// isMessage reports whether the entity holds a message (message/rfc822,
// or message/global of RFC 6532).
func (e entity) isMessage() bool {
	typ, sub, _, _ := e.mediaType()
	return typ == "message" && (sub == "rfc822" || sub == "global")
}

// encapsulated returns the message inside a message/rfc822 entity, or the
// entity itself.
func (e entity) encapsulated() entity {
	if !e.isMessage() {
		return e
	}
	return readEntity(e.body)
}

// parts calls fn with each body part of a multipart entity, from 1, until
// fn returns false.
func (e entity) parts(fn func(n int, p entity) bool) {
	_, sub, _, _ := e.mediaType()
	mr := textproto.NewMultipartReader(e.body, e.boundary())
	for n := 1; ; n++ {
		p, err := mr.NextPart()
		if err != nil || !fn(n, entity{header: p.Header, body: p, parentSub: sub}) {
			return
		}
	}
}

// part returns body part n (from 1) of a multipart entity.
func (e entity) part(n int) (found entity, ok bool) {
	e.parts(func(i int, p entity) bool {
		found, ok = p, i == n
		return !ok
	})
	return found, ok
}

// locate finds the entity a section part number names (RFC 9051 6.4.5):
// the parts of a multipart are numbered from 1, a message/rfc822 part's
// numbers are those of the message inside it, and an entity that is not
// multipart has one part, itself (a message's part 1 is its body).
func locate(r io.Reader, path []int) (entity, bool) {
	cur := readEntity(r)
	if cur.boundary() == "" && len(path) > 0 && path[0] == 1 {
		path = path[1:]
	}
	for _, n := range path {
		cur = cur.encapsulated()
		if cur.boundary() == "" {
			if n != 1 {
				return entity{}, false
			}
			continue
		}
		var ok bool
		if cur, ok = cur.part(n); !ok {
			return entity{}, false
		}
	}
	return cur, true
}

// transferEncoding is the entity's Content-Transfer-Encoding; a multipart
// is never encoded (RFC 2045 6.4), whatever its header says.
func (e entity) transferEncoding() string {
	if e.boundary() != "" {
		return ""
	}
	return e.header.Get("Content-Transfer-Encoding")
}

// headerBytes returns the entity's header block as stored, or for a body
// part the fields as go-message read them, with the empty line that ends
// them.
func (e entity) headerBytes() []byte {
	if e.raw != nil {
		return e.raw
	}
	var b bytes.Buffer
	_ = textproto.WriteHeader(&b, e.header) // fields read from a message always write back
	return b.Bytes()
}

package imapd

import (
	"bytes"
	"errors"
	"io"
	"math"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/node/mailheader"
)

// bodySectionItem prepares BODY[...] (RFC 9051 6.4.5). The whole message
// and its TEXT are streamed from the store, byte for byte as stored;
// header sections come from the header block; sections of inner MIME
// parts are streamed twice, once to measure them and once to send them.
// Every stream is opened as the item is prepared (content.hold).
// A NUL, which no IMAP literal but literal8 may hold (RFC 3516 6), is sent
// as 0x80, as Dovecot does; BINARY returns it as stored.
func bodySectionItem(c *content, sec *imap.FetchItemBodySection) (item, error) {
	if len(sec.Part) > 0 {
		return partSectionItem(c, sec)
	}
	var off, size int64
	partial := sec.Partial != nil
	if partial {
		off, size = sec.Partial.Offset, sec.Partial.Size
	}
	switch sec.Specifier {
	case imap.PartSpecifierNone:
		start, n := clip(off, size, partial, c.msg.Size)
		return rangeItem(c, sec, start, n)
	case imap.PartSpecifierText:
		raw, err := c.header()
		if err != nil {
			return nil, err
		}
		hlen := int64(len(raw))
		start, n := clip(off, size, partial, max(c.msg.Size-hlen, 0))
		return rangeItem(c, sec, hlen+start, n)
	case imap.PartSpecifierHeader:
		raw, err := c.header()
		if err != nil {
			return nil, err
		}
		return bytesItem(sec, selectFields(raw, sec)), nil
	default: // MIME applies to parts only
		return bytesItem(sec, nil), nil
	}
}

// rangeItem prepares a section that is n bytes of the message as stored,
// from start on.
func rangeItem(c *content, sec *imap.FetchItemBodySection, start, n int64) (item, error) {
	src, err := c.rangeSource(start, n)
	if err != nil {
		return nil, err
	}
	return literalItem(sec, n, func(w io.Writer) error { return src(nulFree{w}) }), nil
}

// selectFields applies HEADER.FIELDS or HEADER.FIELDS.NOT to a header
// block, byte for byte (mailheader); the result ends with an empty line.
func selectFields(block []byte, sec *imap.FetchItemBodySection) []byte {
	switch {
	case len(sec.HeaderFields) > 0:
		return mailheader.KeepFields(block, sec.HeaderFields...)
	case len(sec.HeaderFieldsNot) > 0:
		for _, name := range sec.HeaderFieldsNot {
			block = mailheader.RemoveFields(block, name)
		}
		return mailheader.Ended(block, mailheader.HasEnd(block))
	}
	return block
}

// partSectionItem prepares a section of an inner part: the part as stored
// (BODY[1.2]), its MIME header (BODY[1.2.MIME]), or the header or text of
// the message a message/rfc822 part holds (BODY[1.2.HEADER], ...); a
// section that names no part, or HEADER or TEXT of a part that holds no
// message, is empty.
func partSectionItem(c *content, sec *imap.FetchItemBodySection) (item, error) {
	switch sec.Specifier {
	case imap.PartSpecifierNone, imap.PartSpecifierText:
		src := func(r io.Reader, w io.Writer) error {
			return partIn(r, sec.Part, func(e entity, found bool) error {
				switch {
				case !found:
					return nil
				case sec.Specifier == imap.PartSpecifierText:
					if !e.isMessage() {
						return nil
					}
					e = e.encapsulated()
				}
				_, err := io.Copy(w, e.body)
				return err
			})
		}
		return c.streamItem(sec, src)
	}
	var data []byte
	err := c.withPart(sec.Part, func(e entity, found bool) error {
		switch {
		case !found:
		case sec.Specifier == imap.PartSpecifierMIME:
			data = e.headerBytes()
		case e.isMessage():
			data = selectFields(e.encapsulated().headerBytes(), sec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return bytesItem(sec, data), nil
}

// source writes a section of the message read from r. A section that is
// measured before it is sent is written twice, from two streams.
type source func(r io.Reader, w io.Writer) error

// streamItem measures a section written by src, then sends the part of it
// the partial asks for, streaming src again.
func (c *content) streamItem(sec *imap.FetchItemBodySection, src source) (item, error) {
	total, err := c.measure(src)
	if err != nil {
		return nil, err
	}
	r, err := c.hold()
	if err != nil {
		return nil, err
	}
	var off, size int64
	if sec.Partial != nil {
		off, size = sec.Partial.Offset, sec.Partial.Size
	}
	start, n := clip(off, size, sec.Partial != nil, total)
	return literalItem(sec, n, func(w io.Writer) error { return sendWindow(r, src, nulFree{w}, start, n) }), nil
}

func bytesItem(sec *imap.FetchItemBodySection, data []byte) item {
	var off, size int64
	if sec.Partial != nil {
		off, size = sec.Partial.Offset, sec.Partial.Size
	}
	start, n := clip(off, size, sec.Partial != nil, int64(len(data)))
	data = data[start : start+n]
	return literalItem(sec, n, func(w io.Writer) error {
		_, err := nulFree{w}.Write(data)
		return err
	})
}

// binarySectionItem prepares BINARY[...] (RFC 3516 4.2, RFC 9051 6.4.5):
// the part with its content transfer encoding undone, and the partial
// counted in the decoded bytes. The part is decoded twice, streaming: once
// to measure it, once to send it. An encoding it cannot undo is refused
// with NO [UNKNOWN-CTE] (binaryError).
func binarySectionItem(c *content, sec *imap.FetchItemBinarySection) (item, error) {
	src := c.binarySource(sec.Part)
	total, err := c.measure(src)
	if err != nil {
		return nil, err
	}
	r, err := c.hold()
	if err != nil {
		return nil, err
	}
	var off, size int64
	if sec.Partial != nil {
		off, size = sec.Partial.Offset, sec.Partial.Size
	}
	start, n := clip(off, size, sec.Partial != nil, total)
	return func(rw *imapserver.FetchResponseWriter) error {
		wc := rw.WriteBinarySection(sec, n)
		err := sendWindow(r, src, wc, start, n)
		if cerr := wc.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

// binarySizeItem prepares BINARY.SIZE[...] (RFC 3516 4.2): the size
// BINARY of the same part sends.
func binarySizeItem(c *content, sec *imap.FetchItemBinarySectionSize) (item, error) {
	total, err := c.measure(c.binarySource(sec.Part))
	if err != nil {
		return nil, err
	}
	return func(rw *imapserver.FetchResponseWriter) error {
		rw.WriteBinarySectionSize(sec, uint32(min(total, math.MaxUint32)))
		return nil
	}, nil
}

// binaryError is the response to a BINARY item that could not be
// prepared: NO [UNKNOWN-CTE] for an encoding this server cannot undo.
func (s *session) binaryError(op string, err error) error {
	if errors.Is(err, errUnknownCTE) {
		return noError(imap.ResponseCodeUnknownCTE, op+": the part has a content transfer encoding this server cannot decode")
	}
	return s.endReplaced(op, err)
}

// binarySource returns a writer of the decoded content of a part: the
// message as stored for BINARY[], nothing for a part that is not there.
func (c *content) binarySource(path []int) source {
	if len(path) == 0 {
		return func(r io.Reader, w io.Writer) error { return c.copyRange(r, w, 0, c.msg.Size) }
	}
	return func(r io.Reader, w io.Writer) error {
		return partIn(r, path, func(e entity, found bool) error {
			if !found {
				return nil
			}
			dec, err := transferDecoder(e.transferEncoding(), w)
			if err != nil {
				return err
			}
			if _, err := io.Copy(dec, e.body); err != nil {
				return err
			}
			return dec.Close()
		})
	}
}

// withPart streams the message and calls fn with the entity path names.
func (c *content) withPart(path []int, fn func(e entity, found bool) error) error {
	r, err := c.open()
	if err != nil {
		return err
	}
	defer r.Close()
	return partIn(r, path, fn)
}

// partIn reads the message from r and calls fn with the entity path names.
func partIn(r io.Reader, path []int, fn func(e entity, found bool) error) error {
	er := &errReader{r: r}
	e, found := locate(er, path)
	err := fn(e, found)
	if er.err != nil {
		return er.err
	}
	return err
}

// measure returns how many bytes src writes, from a stream of its own.
func (c *content) measure(src source) (int64, error) {
	r, err := c.open()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var n counter
	err = src(r, &n)
	return int64(n), err
}

type counter int64

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}

// sendWindow writes n bytes of what src writes from r, from start on, to w.
func sendWindow(r io.Reader, src source, w io.Writer, start, n int64) error {
	win := &window{w: w, skip: start, left: n}
	if err := src(r, win); err != nil && !errors.Is(err, errWindowDone) {
		return err
	}
	if win.left > 0 {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// errWindowDone stops a source once a window has all it wants.
var errWindowDone = errors.New("window complete")

// window passes on the bytes written to it after the first skip, at most
// left of them.
type window struct {
	w          io.Writer
	skip, left int64
}

func (win *window) Write(p []byte) (int, error) {
	n := len(p)
	if win.left == 0 {
		return 0, errWindowDone
	}
	k := min(win.skip, int64(len(p)))
	p, win.skip = p[k:], win.skip-k
	p = p[:min(int64(len(p)), win.left)]
	if len(p) > 0 {
		if _, err := win.w.Write(p); err != nil {
			return 0, err
		}
		win.left -= int64(len(p))
	}
	return n, nil
}

// nulFree writes what is written to it with every NUL replaced by 0x80.
type nulFree struct{ w io.Writer }

func (f nulFree) Write(p []byte) (int, error) {
	if bytes.IndexByte(p, 0) < 0 {
		return f.w.Write(p)
	}
	q := bytes.ReplaceAll(p, []byte{0}, []byte{0x80})
	if _, err := f.w.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}

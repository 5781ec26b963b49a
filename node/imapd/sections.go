package imapd

import (
	"bytes"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// bodySectionItem prepares BODY[...] (RFC 9051 6.4.5). The whole message
// and its TEXT are streamed from the store, byte for byte as stored; header
// sections come from the header block; sections of inner MIME parts are
// extracted in memory by imapserver.ExtractBodySection.
func bodySectionItem(c *content, sec *imap.FetchItemBodySection) (item, error) {
	var off, size int64
	partial := sec.Partial != nil
	if partial {
		off, size = sec.Partial.Offset, sec.Partial.Size
	}
	if len(sec.Part) > 0 {
		return inMemorySection(c, sec)
	}
	switch sec.Specifier {
	case imap.PartSpecifierNone:
		start, n := clip(off, size, partial, c.msg.Size)
		return literalItem(sec, n, func(w io.Writer) error { return c.copyRange(w, start, n) }), nil
	case imap.PartSpecifierText:
		raw, err := c.header()
		if err != nil {
			return nil, err
		}
		hlen := int64(len(raw))
		start, n := clip(off, size, partial, max(c.msg.Size-hlen, 0))
		return literalItem(sec, n, func(w io.Writer) error { return c.copyRange(w, hlen+start, n) }), nil
	case imap.PartSpecifierHeader:
		raw, err := c.header()
		if err != nil {
			return nil, err
		}
		if len(sec.HeaderFields) > 0 || len(sec.HeaderFieldsNot) > 0 {
			whole := *sec
			whole.Partial = nil
			raw = imapserver.ExtractBodySection(bytes.NewReader(raw), &whole)
		}
		return bytesItem(sec, raw, off, size, partial), nil
	default: // MIME applies to parts only
		return bytesItem(sec, nil, 0, 0, false), nil
	}
}

// inMemorySection extracts a section of an inner MIME part.
func inMemorySection(c *content, sec *imap.FetchItemBodySection) (item, error) {
	r, err := c.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data := imapserver.ExtractBodySection(r, sec) // applies the partial itself
	return bytesItem(sec, data, 0, 0, false), nil
}

func bytesItem(sec *imap.FetchItemBodySection, data []byte, off, size int64, partial bool) item {
	start, n := clip(off, size, partial, int64(len(data)))
	data = data[start : start+n]
	return literalItem(sec, n, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// binarySectionItem prepares BINARY[...] (RFC 3516): the part with its
// content transfer encoding undone, extracted in memory.
func binarySectionItem(c *content, sec *imap.FetchItemBinarySection) (item, error) {
	r, err := c.open()
	if err != nil {
		return nil, storeError("fetch binary section", err)
	}
	defer r.Close()
	data := imapserver.ExtractBinarySection(r, sec)
	return func(rw *imapserver.FetchResponseWriter) error {
		wc := rw.WriteBinarySection(sec, int64(len(data)))
		_, err := wc.Write(data)
		if cerr := wc.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

// binarySizeItem prepares BINARY.SIZE[...] (RFC 3516).
func binarySizeItem(c *content, sec *imap.FetchItemBinarySectionSize) (item, error) {
	r, err := c.open()
	if err != nil {
		return nil, storeError("fetch binary size", err)
	}
	defer r.Close()
	size := imapserver.ExtractBinarySectionSize(r, sec)
	return func(rw *imapserver.FetchResponseWriter) error {
		rw.WriteBinarySectionSize(sec, size)
		return nil
	}, nil
}

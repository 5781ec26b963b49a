package imapd

import (
	"encoding/base64"
	"errors"
	"io"
	"strings"
)

// errUnknownCTE is a content transfer encoding this server cannot undo:
// BINARY answers it with NO [UNKNOWN-CTE] (RFC 3516 4.3).
var errUnknownCTE = errors.New("unknown content transfer encoding")

// transferDecoder returns a writer that undoes the content transfer
// encoding cte (RFC 2045 6; "" is 7bit) of what is written to it and
// writes the result to w; Close writes what is still pending. Decoding is
// lenient and never fails on the data: base64 skips what is not in its
// alphabet and ends at the first "=" (RFC 2045 6.8), quoted-printable
// passes an "=" that starts no escape through as written (RFC 2045 6.7).
func transferDecoder(cte string, w io.Writer) (io.WriteCloser, error) {
	switch cteToken(cte) {
	case "", "7bit", "8bit", "binary":
		return nopCloser{w}, nil
	case "base64":
		return &base64Decoder{w: w}, nil
	case "quoted-printable":
		return &qpDecoder{w: w}, nil
	}
	return nil, errUnknownCTE
}

// cteToken is the mechanism of a Content-Transfer-Encoding value, lower
// case, without white space or a comment after it.
func cteToken(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, " \t(;"); i >= 0 {
		v = v[:i]
	}
	return v
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// base64Decoder decodes base64 as it is written, in groups of four
// characters of the alphabet.
type base64Decoder struct {
	w    io.Writer
	in   []byte // alphabet characters not decoded yet
	out  []byte
	done bool // padding seen: the rest is not data
}

func (d *base64Decoder) Write(p []byte) (int, error) {
	for _, c := range p {
		if d.done {
			break
		}
		switch {
		case c == '=':
			d.done = true
		case isBase64(c):
			d.in = append(d.in, c)
		}
	}
	return len(p), d.flush(len(d.in) - len(d.in)%4)
}

// Close decodes a last incomplete group: two or three characters hold one
// or two bytes, a single one holds none.
func (d *base64Decoder) Close() error {
	n := len(d.in)
	if n%4 == 1 {
		n--
	}
	return d.flush(n)
}

func (d *base64Decoder) flush(n int) error {
	if n == 0 {
		return nil
	}
	d.out = d.out[:0]
	d.out = append(d.out, make([]byte, base64.RawStdEncoding.DecodedLen(n))...)
	m, _ := base64.RawStdEncoding.Decode(d.out, d.in[:n]) // alphabet characters only: cannot fail
	d.in = d.in[:copy(d.in, d.in[n:])]
	_, err := d.w.Write(d.out[:m])
	return err
}

func isBase64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// maxPendingSpace bounds the white space a quoted-printable decoder holds
// back to see whether it ends a line (and is dropped); a longer run is
// passed on.
const maxPendingSpace = 4 << 10

// qpDecoder decodes quoted-printable (RFC 2045 6.7) as it is written:
// "=XX" (either case) is the byte XX, "=" at the end of a line (after
// white space too) is a soft line break, white space at the end of a line
// is dropped (rule 3), line breaks are kept as written, and any other byte
// passes through.
type qpDecoder struct {
	w     io.Writer
	out   []byte
	space []byte // white space that may end the line
	esc   []byte // an "=" and what followed it so far
	cr    bool   // a CR is pending: a line break if LF follows
}

func (d *qpDecoder) Write(p []byte) (int, error) {
	d.out = d.out[:0]
	for _, c := range p {
		d.decode(c)
	}
	_, err := d.w.Write(d.out)
	return len(p), err
}

func (d *qpDecoder) decode(c byte) {
	switch {
	case len(d.esc) > 0:
		d.escape(c)
	case d.cr && c == '\n':
		d.space, d.cr = d.space[:0], false
		d.out = append(d.out, '\r', '\n')
	case d.cr:
		d.out = append(append(d.out, d.space...), '\r')
		d.space, d.cr = d.space[:0], false
		d.decode(c)
	case c == '\r':
		d.cr = true
	case c == '\n':
		d.space = d.space[:0]
		d.out = append(d.out, '\n')
	case c == ' ' || c == '\t':
		if len(d.space) >= maxPendingSpace {
			d.out, d.space = append(d.out, d.space...), d.space[:0]
		}
		d.space = append(d.space, c)
	default:
		d.out, d.space = append(d.out, d.space...), d.space[:0]
		if c == '=' {
			d.esc = append(d.esc[:0], c)
		} else {
			d.out = append(d.out, c)
		}
	}
}

// escape continues an "=": two hex digits, or white space and a line
// break (a soft break, dropped); anything else is no escape, and the "="
// and what followed it are passed through.
func (d *qpDecoder) escape(c byte) {
	last := d.esc[len(d.esc)-1]
	hex1 := len(d.esc) == 2 && isHex(last)
	switch {
	case hex1 && isHex(c):
		d.out, d.esc = append(d.out, unhex(last)<<4|unhex(c)), d.esc[:0]
	case hex1:
	case last == '\r' && c == '\n', last != '\r' && c == '\n':
		d.esc = d.esc[:0]
		return
	case last == '\r':
	case len(d.esc) == 1 && isHex(c), (c == ' ' || c == '\t' || c == '\r') && len(d.esc) < maxPendingSpace:
		d.esc = append(d.esc, c)
		return
	}
	if len(d.esc) == 0 {
		return
	}
	d.out, d.esc = append(d.out, d.esc...), d.esc[:0]
	d.decode(c)
}

// Close ends the data: an "=" with nothing or only white space after it
// is a soft break at the end and dropped, as is white space that ends the
// data; a pending CR is kept.
func (d *qpDecoder) Close() error {
	d.out = d.out[:0]
	if len(d.esc) == 2 && isHex(d.esc[1]) {
		d.out = append(d.out, d.esc...)
	}
	if d.cr {
		d.out = append(d.out, '\r')
	}
	d.esc, d.space, d.cr = d.esc[:0], d.space[:0], false
	_, err := d.w.Write(d.out)
	return err
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

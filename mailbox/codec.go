package mailbox

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf8"
)

// recordVersion is the first byte of every record; decoders refuse others.
const recordVersion = 1

// Bounds checked by decoders, so that a corrupt length cannot make a decoder
// allocate without limit.
const (
	maxStringLen = 64 << 10
	maxFlags     = 256
)

// enc appends the fields of a record.
type enc struct{ b []byte }

func newEnc() *enc { return &enc{b: []byte{recordVersion}} }

func (e *enc) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.int(0)
		return
	}
	e.int(t.UnixNano())
}

func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *enc) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *enc) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *enc) raw(p []byte) { e.b = append(e.b, p...) }

// dec reads the fields of a record. The first error sticks; later reads
// return zero values. done reports it, or trailing garbage.
type dec struct {
	b   []byte
	err error
}

func newDec(b []byte) *dec {
	d := &dec{b: b}
	if len(b) == 0 || b[0] != recordVersion {
		d.fail("unknown record version")
		return d
	}
	d.b = b[1:]
	return d
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
	d.b = nil
}

func (d *dec) uint(max uint64) uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > max {
		d.fail("bad unsigned integer")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad integer")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) time() time.Time {
	n := d.int()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (d *dec) bool() bool {
	if len(d.b) < 1 || d.b[0] > 1 {
		d.fail("bad boolean")
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

func (d *dec) str() string {
	n := d.uint(maxStringLen)
	if uint64(len(d.b)) < n {
		d.fail("string past end")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	if !utf8.ValidString(s) {
		d.fail("string not UTF-8")
		return ""
	}
	return s
}

func (d *dec) strs() []string {
	n := d.uint(maxFlags)
	var ss []string
	for i := uint64(0); i < n && d.err == nil; i++ {
		ss = append(ss, d.str())
	}
	return ss
}

func (d *dec) raw(p []byte) {
	if len(d.b) < len(p) {
		d.fail("field past end")
		return
	}
	copy(p, d.b)
	d.b = d.b[len(p):]
}

func (d *dec) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}

// putUint32 and putUint64 encode counters stored as bare values.
func putUint32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func putUint64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func getUint32(b []byte) (uint32, error) {
	if len(b) != 4 {
		return 0, fmt.Errorf("%w: counter of %d bytes", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint32(b), nil
}

func getUint64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: counter of %d bytes", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

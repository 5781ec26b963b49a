package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrNotMbox: the input does not start with a From_ line.
var ErrNotMbox = errors.New("not an mbox file: it does not start with a \"From \" line")

// maxFromLine bounds the part of a From_ line that is kept.
const maxFromLine = 1000

// Reader splits an mbox into messages. Next moves to the next message;
// Read reads the current one, unescaped, up to io.EOF at its end.
type Reader struct {
	br      *bufio.Reader
	started bool
	next    []byte // the From_ line of the message after the current one
	atEOF   bool   // the input ended with the current message
	done    bool   // the current message was read to its end
	midLine bool   // the last chunk read did not end its line
	held    []byte // an empty line held back: it may be the separator
	heldBuf [2]byte
	pending []byte // bytes read and not yet returned
	buf     []byte // owns pending's bytes
	cut     bool   // the current message ended without a line break at EOF
	err     error
	off     int64 // bytes of the input consumed
	nextOff int64 // where next starts in the input
	end     int64 // where the current message ended
}

// NewReader returns a Reader of the mbox in r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), done: true}
}

// Next skips what is left of the current message and returns the From_
// line of the next one. It returns io.EOF after the last message, and
// ErrNotMbox if the input does not start with a From_ line.
func (r *Reader) Next() (FromLine, error) {
	if !r.started {
		r.started = true
		if err := r.first(); err != nil {
			return FromLine{}, err
		}
	} else {
		for !r.done && r.err == nil {
			r.fill()
			r.pending = nil
		}
	}
	if r.err != nil {
		return FromLine{}, r.err
	}
	if r.atEOF {
		return FromLine{}, io.EOF
	}
	line := ParseFromLine(r.next)
	line.Offset = r.nextOff
	r.next, r.done, r.held, r.pending, r.midLine, r.cut = nil, false, nil, nil, false, false
	return line, nil
}

// first reads the From_ line that must open the input.
func (r *Reader) first() error {
	line, err := r.br.ReadSlice('\n')
	r.off += int64(len(line))
	switch {
	case len(line) == 0 && err == io.EOF:
		r.atEOF = true
		return nil
	case err != nil && err != io.EOF && err != bufio.ErrBufferFull:
		r.err = fmt.Errorf("read mbox: %w", err)
		return r.err
	case !bytes.HasPrefix(line, []byte("From ")):
		r.err = ErrNotMbox
		return r.err
	}
	r.next = r.restOfFromLine(line, err)
	return r.err
}

// Read reads the current message.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		r.fill()
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// End returns the offset in the input just after the current message, read
// to its end: where the next From_ line starts, or the input's length. The
// bytes from the message's FromLine.Offset to End, read as an mbox of
// their own, give the same message.
func (r *Reader) End() int64 { return r.end }

// CutShort reports whether the current message, read to its end, was the
// last one and ended without a line break: what a file cut short in the
// middle of a line looks like.
func (r *Reader) CutShort() bool { return r.done && r.cut }

// fill reads one line, or one buffer of a long line, and queues what of
// it belongs to the message in pending.
func (r *Reader) fill() {
	start := r.off
	line, err := r.br.ReadSlice('\n')
	r.off += int64(len(line))
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		r.err = fmt.Errorf("read mbox: %w", err)
		return
	}
	atStart := !r.midLine
	r.midLine = err == bufio.ErrBufferFull
	switch {
	case len(line) == 0: // end of input
		r.done, r.atEOF, r.held, r.end = true, true, nil, start
		return
	case atStart && bytes.HasPrefix(line, []byte("From ")):
		r.done, r.held, r.end, r.nextOff = true, nil, start, start
		r.next = r.restOfFromLine(line, err)
		return
	}
	r.buf = append(r.buf[:0], r.held...)
	r.held = nil
	if atStart && isEmptyLine(line) {
		r.held = append(r.heldBuf[:0], line...)
		r.pending = r.buf
		return
	}
	if atStart && escapedFrom(line) {
		line = line[1:]
	}
	r.buf = append(r.buf, line...)
	r.pending = r.buf
	if err == io.EOF {
		r.cut = true
	}
}

// restOfFromLine returns the From_ line that starts with line (read with
// err), reading the rest of a line longer than the buffer, keeping at
// most maxFromLine bytes.
func (r *Reader) restOfFromLine(line []byte, err error) []byte {
	kept := append([]byte(nil), line[:min(len(line), maxFromLine)]...)
	for err == bufio.ErrBufferFull {
		line, err = r.br.ReadSlice('\n')
		r.off += int64(len(line))
		if len(kept) < maxFromLine {
			kept = append(kept, line[:min(len(line), maxFromLine-len(kept))]...)
		}
	}
	if err != nil && err != io.EOF {
		r.err = fmt.Errorf("read mbox: %w", err)
	}
	return kept
}

func isEmptyLine(line []byte) bool {
	return string(line) == "\n" || string(line) == "\r\n"
}

// escapedFrom reports whether line is ">From ", ">>From " and so on.
func escapedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], []byte("From "))
}

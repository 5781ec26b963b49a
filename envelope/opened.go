package envelope

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"time"
)

// Header returns the outer header.
func (o *Opened) Header() Header { return o.header }

// Sender returns the sender address from the inner header. It is verified
// only once Read has returned io.EOF (see Verified).
func (o *Opened) Sender() Address { return o.sender }

// Created returns the creation time the sender put in the inner header
// (whole seconds, UTC). Like Sender it is verified only at io.EOF.
func (o *Opened) Created() time.Time { return o.created }

// Record returns the sender record of a version 2 envelope, or nil. Like
// Sender it is the sender's claim until Verified; the caller must not
// modify it.
func (o *Opened) Record() []byte { return o.record }

// Verified reports whether the whole envelope has been read and its
// signature verified.
func (o *Opened) Verified() bool { return o.verified }

// Read streams the message bytes. It returns io.EOF only after the final
// chunk arrived and the sender's signature verified; any problem is an
// error wrapping one of the package's Err values (or the reader's own error),
// and it is returned again on every later call.
func (o *Opened) Read(p []byte) (int, error) {
	for len(o.pending) == 0 {
		if o.err != nil {
			return 0, o.err
		}
		o.err = o.next()
	}
	n := copy(p, o.pending)
	o.pending = o.pending[n:]
	return n, nil
}

// WriteTo writes the message bytes to w chunk by chunk, without the copy
// through a caller's buffer. It returns nil once the signature verified.
func (o *Opened) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(o.pending) > 0 {
			n, err := w.Write(o.pending)
			total += int64(n)
			o.pending = o.pending[n:]
			if err != nil {
				return total, fmt.Errorf("write message: %w", err)
			}
			continue
		}
		if o.err == io.EOF {
			return total, nil
		}
		if o.err != nil {
			return total, o.err
		}
		o.err = o.next()
	}
}

// next reads one chunk: data becomes pending, a record is kept; the trailer
// ends the envelope with io.EOF if its signature verifies.
func (o *Opened) next() error {
	kind, body, final, err := o.readChunk()
	if err == nil {
		err = o.accept(kind, body, final)
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("open envelope %s: %w", o.header.ID, err)
	}
	return err
}

// accept applies the rules of one authenticated chunk's kind.
func (o *Opened) accept(kind byte, body []byte, final bool) error {
	if o.header.Version == Version2 && o.counter == 2 && kind != kindRecord {
		o.hash.Write(recordLength(0)) // version 2 without a record
	}
	switch kind {
	case kindData:
		return o.acceptData(body, final)
	case kindTrailer:
		return o.acceptTrailer(body, final)
	case kindRecord:
		return o.acceptRecord(body, final)
	case kindInner:
		return fmt.Errorf("chunk %d: second inner header: %w", o.counter-1, ErrCorrupt)
	}
	return fmt.Errorf("chunk %d: kind %#x: %w", o.counter-1, kind, ErrUnknownChunk)
}

// acceptRecord checks the sender record rules: version 2 only (a reserved
// kind in version 1), chunk 1 only, not final, 1 to MaxRecordSize bytes.
func (o *Opened) acceptRecord(body []byte, final bool) error {
	switch {
	case o.header.Version != Version2:
		return fmt.Errorf("chunk %d: sender record in a version %d envelope: %w", o.counter-1, o.header.Version, ErrUnknownChunk)
	case o.counter != 2:
		return fmt.Errorf("chunk %d: sender record is not chunk 1: %w", o.counter-1, ErrCorrupt)
	case final:
		return fmt.Errorf("chunk %d: final chunk is a sender record, not the trailer: %w", o.counter-1, ErrCorrupt)
	case len(body) == 0 || len(body) > MaxRecordSize:
		return fmt.Errorf("chunk %d: sender record of %d bytes, want 1 to %d: %w", o.counter-1, len(body), MaxRecordSize, ErrCorrupt)
	}
	o.hash.Write(recordLength(len(body)))
	o.hash.Write(body)
	o.record = bytes.Clone(body)
	return nil
}

// acceptData checks the v1 canonical layout: every data chunk but the last
// is full, none is empty, none is final.
func (o *Opened) acceptData(body []byte, final bool) error {
	switch {
	case final:
		return fmt.Errorf("chunk %d: final chunk carries data, not the trailer: %w", o.counter-1, ErrCorrupt)
	case len(body) == 0:
		return fmt.Errorf("chunk %d: empty data chunk: %w", o.counter-1, ErrCorrupt)
	case o.short:
		return fmt.Errorf("chunk %d: data after a partial data chunk: %w", o.counter-1, ErrCorrupt)
	}
	o.short = len(body) < MaxChunkData
	o.hash.Write(body)
	o.pending = body
	return nil
}

// acceptTrailer verifies the signature and that nothing follows the
// final chunk.
func (o *Opened) acceptTrailer(body []byte, final bool) error {
	if !final || len(body) != sigSize {
		return fmt.Errorf("chunk %d: malformed trailer: %w", o.counter-1, ErrCorrupt)
	}
	msg := signedMessage(o.header.Version, o.hash.Sum(nil))
	if !ed25519.Verify(ed25519.PublicKey(o.sender[:]), msg, body) {
		return fmt.Errorf("claimed sender %s: %w", o.sender, ErrBadSignature)
	}
	var extra [1]byte
	n, err := io.ReadFull(o.r, extra[:])
	switch {
	case n > 0:
		return fmt.Errorf("data after the final chunk: %w", ErrCorrupt)
	case err != io.EOF:
		return fmt.Errorf("after final chunk: %w", err)
	}
	o.verified = true
	return io.EOF
}

package envelope

import (
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"time"
)

// SealOptions are the optional parts of an envelope.
type SealOptions struct {
	// Record is the sender record (opaque, at most MaxRecordSize bytes)
	// carried encrypted and signed in a version 2 envelope. Empty means no
	// record, and a version 1 envelope.
	Record []byte
}

// Seal writes body as a sealed envelope to dst: signed with sender's key,
// readable only by recipient. id should be fresh for every message (NewID)
// and reused unchanged on every retry. Seal streams: it holds one chunk in
// memory whatever the size of body. It returns the bytes written, which for
// a successful call equal SealedSize of the body length. Seal writes
// version 1; it is SealWith without options.
func Seal(dst io.Writer, sender ed25519.PrivateKey, recipient Address, id ID, created time.Time, body io.Reader) (int64, error) {
	return SealWith(dst, sender, recipient, id, created, body, SealOptions{})
}

// SealWith is Seal with options. With a sender record it writes a version 2
// envelope of SealedSizeWith(body length, len(opts.Record)) bytes; without
// one, exactly what Seal writes. A record longer than MaxRecordSize is an
// error before anything is written.
func SealWith(dst io.Writer, sender ed25519.PrivateKey, recipient Address, id ID, created time.Time, body io.Reader, opts SealOptions) (int64, error) {
	if len(sender) != ed25519.PrivateKeySize {
		return 0, fmt.Errorf("seal envelope %s: sender key is %d bytes, want %d", id, len(sender), ed25519.PrivateKeySize)
	}
	if len(opts.Record) > MaxRecordSize {
		return 0, fmt.Errorf("seal envelope %s: sender record is %d bytes, at most %d allowed", id, len(opts.Record), MaxRecordSize)
	}
	from, err := AddressFromKey(sender.Public().(ed25519.PublicKey))
	if err != nil {
		return 0, fmt.Errorf("seal envelope %s: %w", id, err)
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return 0, fmt.Errorf("seal envelope %s: ephemeral key: %w", id, err)
	}
	p := sealParams{sender: sender, from: from, to: recipient, id: id, created: created, eph: eph, record: opts.Record}
	return p.seal(dst, body)
}

// sealParams are the inputs of one sealing. from is normally the sender's
// own address; tests set it to another to forge a bad signature. version 0
// means the one the record implies; tests set it to craft other layouts.
type sealParams struct {
	sender  ed25519.PrivateKey
	from    Address
	to      Address
	id      ID
	created time.Time
	eph     *ecdh.PrivateKey
	record  []byte
	version uint8
}

// formatVersion is the version to write: 2 with a record, else 1.
func (p *sealParams) formatVersion() uint8 {
	switch {
	case p.version != 0:
		return p.version
	case len(p.record) > 0:
		return Version2
	}
	return Version1
}

func (p *sealParams) seal(dst io.Writer, body io.Reader) (int64, error) {
	s, err := p.start(dst)
	if err == nil {
		err = s.run(p, body)
	}
	if err != nil {
		return s.written, fmt.Errorf("seal envelope %s to %s: %w", p.id, p.to, err)
	}
	return s.written, nil
}

// start derives the payload key and writes the outer header. The sealer it
// returns is never nil.
func (p *sealParams) start(dst io.Writer) (*sealer, error) {
	s := &sealer{w: dst, hash: sha512.New(), buf: make([]byte, prefixSize+maxChunkCT), version: p.formatVersion()}
	rpub, err := recipientX25519(p.to)
	if err != nil {
		return s, err
	}
	h := Header{Version: p.formatVersion(), Recipient: p.to, ID: p.id}
	copy(h.Ephemeral[:], p.eph.PublicKey().Bytes())
	hb := h.appendTo(make([]byte, 0, HeaderSize))
	if s.aead, err = payloadAEAD(p.eph, rpub, hb); err != nil {
		return s, err
	}
	s.hash.Write(hb)
	return s, s.write(hb)
}

// sealer writes the chunk stream of one envelope.
type sealer struct {
	w       io.Writer
	aead    cipher.AEAD
	hash    hash.Hash // SHA-512 for the signature
	buf     []byte    // prefix, kind, payload, room for the tag
	counter uint64
	nonce   [12]byte
	written int64
	version uint8
}

// run writes the inner header, the sender record (version 2), the data
// chunks and the signed trailer.
func (s *sealer) run(p *sealParams, body io.Reader) error {
	inner := s.payload()[:innerSize]
	copy(inner, p.from[:])
	binary.BigEndian.PutUint64(inner[32:], uint64(p.created.Unix()))
	s.hash.Write(inner)
	if err := s.chunk(kindInner, innerSize, false); err != nil {
		return err
	}
	if err := s.senderRecord(p.record); err != nil {
		return err
	}
	if err := s.data(body); err != nil {
		return err
	}
	sig := ed25519.Sign(p.sender, signedMessage(s.version, s.hash.Sum(nil)))
	copy(s.payload(), sig)
	return s.chunk(kindTrailer, sigSize, true)
}

// senderRecord writes the record chunk of a version 2 envelope and hashes
// its length and bytes; a version 2 envelope without a record hashes
// length 0. Version 1 hashes nothing here.
func (s *sealer) senderRecord(record []byte) error {
	if s.version != Version2 {
		return nil
	}
	s.hash.Write(recordLength(len(record)))
	if len(record) == 0 {
		return nil
	}
	s.hash.Write(record)
	copy(s.payload(), record)
	return s.chunk(kindRecord, len(record), false)
}

// data copies body into full data chunks and one last partial chunk. Only
// io.EOF itself ends the body; any other error, io.ErrUnexpectedEOF from a
// broken client stream included, fails the sealing.
func (s *sealer) data(body io.Reader) error {
	for {
		n, err := fill(body, s.payload())
		if n > 0 {
			s.hash.Write(s.payload()[:n])
			if werr := s.chunk(kindData, n, false); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read message body: %w", err)
		}
	}
}

// fill reads into b until it is full or r returns an error.
func fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// payload is where the next chunk's payload goes (MaxChunkData bytes).
func (s *sealer) payload() []byte {
	return s.buf[prefixSize+1 : prefixSize+1+MaxChunkData]
}

// chunk encrypts kind and the first n payload bytes in place and writes
// the framed chunk.
func (s *sealer) chunk(kind byte, n int, final bool) error {
	s.buf[prefixSize] = kind
	pt := s.buf[prefixSize : prefixSize+1+n]
	s.nonce = nonce(s.counter, final)
	ct := s.aead.Seal(pt[:0], s.nonce[:], pt, nil)
	s.counter++
	v := uint32(len(ct))
	if final {
		v |= finalBit
	}
	binary.BigEndian.PutUint32(s.buf, v)
	return s.write(s.buf[:prefixSize+len(ct)])
}

func (s *sealer) write(b []byte) error {
	n, err := s.w.Write(b)
	s.written += int64(n)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

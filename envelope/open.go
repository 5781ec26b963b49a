package envelope

import (
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"time"
)

// Opened is an envelope being read by its recipient. Open has already
// decrypted the inner header (and in version 2 the sender record), so
// Sender, Created and Record are known at once, but they are only the
// sender's claim until Read has returned io.EOF: only then has the signature
// over header, sender, time, record and every message byte been verified.
// Callers must not act on the message (store it as delivered, acknowledge
// it) before that.
type Opened struct {
	r        io.Reader
	header   Header
	sender   Address
	created  time.Time
	aead     cipher.AEAD
	hash     hash.Hash
	buf      []byte // one chunk ciphertext, decrypted in place; grows to maxChunkCT
	pending  []byte // decrypted message bytes not yet returned
	counter  uint64
	nonce    [12]byte         // fields, not locals, so that they do
	prefix   [prefixSize]byte // not escape to the heap on every chunk
	short    bool             // a data chunk shorter than MaxChunkData was seen
	record   []byte           // the sender record (version 2), a copy
	err      error            // sticky; io.EOF once verified
	verified bool
}

// Open reads the outer and inner headers of an envelope from r with the
// recipient's private key; for version 2 it also reads the chunk after the
// inner header, so the sender record, if any, is known when Open returns.
// The message bytes then stream through Read; an error in that second chunk
// is returned by Read, as for any later chunk.
// Open and Read consume r up to its end: an envelope must be the whole of
// r (wrap r in an io.LimitReader when it is embedded in a longer stream);
// bytes after the final chunk are an error.
func Open(r io.Reader, recipient ed25519.PrivateKey) (*Opened, error) {
	if len(recipient) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("open envelope: recipient key is %d bytes, want %d", len(recipient), ed25519.PrivateKeySize)
	}
	h, hb, err := readHeader(r)
	if err != nil {
		return nil, fmt.Errorf("open envelope: %w", err)
	}
	if me := recipient.Public().(ed25519.PublicKey); !me.Equal(ed25519.PublicKey(h.Recipient[:])) {
		return nil, fmt.Errorf("open envelope %s: addressed to %s: %w", h.ID, h.Recipient, ErrNotForMe)
	}
	aead, err := openAEAD(recipient, h, hb)
	if err != nil {
		return nil, fmt.Errorf("open envelope %s: %w", h.ID, err)
	}
	o := &Opened{r: r, header: h, aead: aead, hash: sha512.New()}
	o.hash.Write(hb)
	if err := o.readInner(); err != nil {
		return nil, fmt.Errorf("open envelope %s: %w", h.ID, err)
	}
	if h.Version == Version2 {
		o.err = o.next()
	}
	return o, nil
}

func openAEAD(recipient ed25519.PrivateKey, h Header, hb []byte) (cipher.AEAD, error) {
	priv, err := privateX25519(recipient)
	if err != nil {
		return nil, err
	}
	eph, err := priv.Curve().NewPublicKey(h.Ephemeral[:])
	if err != nil {
		return nil, fmt.Errorf("ephemeral key: %w: %w", err, ErrCorrupt)
	}
	aead, err := payloadAEAD(priv, eph, hb)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrCorrupt)
	}
	return aead, nil
}

// readInner reads chunk 0, which must be the inner header.
func (o *Opened) readInner() error {
	kind, body, final, err := o.readChunk()
	if err != nil {
		return err
	}
	if kind != kindInner || final || len(body) != innerSize {
		return fmt.Errorf("first chunk (kind %#x, %d bytes) is not an inner header: %w", kind, len(body), ErrCorrupt)
	}
	o.hash.Write(body)
	copy(o.sender[:], body)
	o.created = time.Unix(int64(binary.BigEndian.Uint64(body[32:])), 0).UTC()
	return nil
}

// readChunk reads, authenticates and decrypts the next chunk.
func (o *Opened) readChunk() (kind byte, body []byte, final bool, err error) {
	pre := o.prefix[:]
	if _, err := io.ReadFull(o.r, pre); err != nil {
		return 0, nil, false, fmt.Errorf("chunk %d: %w", o.counter, readErr(err))
	}
	v := binary.BigEndian.Uint32(pre)
	final = v&finalBit != 0
	n := int(v &^ finalBit)
	if n < minChunkCT || n > maxChunkCT {
		return 0, nil, false, fmt.Errorf("chunk %d: length %d out of range: %w", o.counter, n, ErrCorrupt)
	}
	if cap(o.buf) < n {
		o.buf = make([]byte, max(n, 2*cap(o.buf)))
	}
	ct := o.buf[:n]
	if _, err := io.ReadFull(o.r, ct); err != nil {
		return 0, nil, false, fmt.Errorf("chunk %d: %w", o.counter, readErr(err))
	}
	o.nonce = nonce(o.counter, final)
	pt, err := o.aead.Open(ct[:0], o.nonce[:], ct, nil)
	if err != nil {
		return 0, nil, false, fmt.Errorf("chunk %d: authentication failed: %w", o.counter, ErrCorrupt)
	}
	o.counter++
	return pt[0], pt[1:], final, nil
}

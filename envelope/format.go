package envelope

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Wire constants of format version 1; docs/envelope.md is normative.
const (
	// Magic opens every sealed envelope.
	Magic = "YGPE"
	// Version is the only format version this package writes and reads.
	Version = 1
	// HeaderSize is the size of the version 1 outer header in bytes.
	HeaderSize = len(Magic) + 1 + 32 + 16 + 32
	// MaxChunkData is the most message bytes one data chunk carries.
	MaxChunkData = 64 << 10
)

const (
	kindInner   = 0x01 // inner header: sender address, creation time
	kindData    = 0x02 // message bytes
	kindTrailer = 0x03 // sender signature; always the final chunk

	innerSize   = 32 + 8
	sigSize     = 64
	tagSize     = 16                         // Poly1305 tag
	prefixSize  = 4                          // chunk length prefix
	finalBit    = 1 << 31                    // in the length prefix
	minChunkCT  = 1 + tagSize                // kind byte + tag
	maxChunkCT  = 1 + MaxChunkData + tagSize // largest chunk ciphertext
	chunkFrame  = prefixSize + 1 + tagSize   // per-chunk overhead
	fullChunk   = chunkFrame + MaxChunkData  // framed full data chunk
	innerChunk  = chunkFrame + innerSize     // framed inner header
	trailerSize = chunkFrame + sigSize       // framed trailer
	fixedSize   = HeaderSize + innerChunk + trailerSize
)

// Errors returned (wrapped) by ReadHeader, Open and Opened.Read. Test with
// errors.Is.
var (
	ErrNotEnvelope  = errors.New("not a yggpost envelope")
	ErrVersion      = errors.New("unsupported envelope version")
	ErrNotForMe     = errors.New("envelope is addressed to another key")
	ErrTruncated    = errors.New("envelope truncated")
	ErrCorrupt      = errors.New("envelope corrupt or tampered with")
	ErrUnknownChunk = errors.New("unknown chunk kind")
	ErrBadSignature = errors.New("sender signature does not verify")
)

// Header is the cleartext outer header: everything a relay can learn from
// an envelope besides its size. It says nothing about the sender.
type Header struct {
	Version   uint8
	Recipient Address
	ID        ID
	Ephemeral [32]byte // the sender's one-time X25519 public key
}

// appendTo appends the wire form of h to b.
func (h *Header) appendTo(b []byte) []byte {
	b = append(b, Magic...)
	b = append(b, h.Version)
	b = append(b, h.Recipient[:]...)
	b = append(b, h.ID[:]...)
	return append(b, h.Ephemeral[:]...)
}

// ReadHeader reads and checks the outer header and nothing more. It is all
// a relay needs to file an envelope under its recipient and ID.
func ReadHeader(r io.Reader) (Header, error) {
	h, _, err := readHeader(r)
	return h, err
}

// readHeader returns the parsed header and its wire bytes. It reads the magic
// and version first so an envelope of another version is not over-read.
func readHeader(r io.Reader) (Header, []byte, error) {
	var h Header
	buf := make([]byte, HeaderSize)
	if _, err := io.ReadFull(r, buf[:len(Magic)+1]); err != nil {
		return h, nil, fmt.Errorf("read envelope header: %w", readErr(err))
	}
	if !bytes.Equal(buf[:len(Magic)], []byte(Magic)) {
		return h, nil, fmt.Errorf("read envelope header: magic %q: %w", buf[:len(Magic)], ErrNotEnvelope)
	}
	h.Version = buf[len(Magic)]
	if h.Version != Version {
		return h, nil, fmt.Errorf("read envelope header: version %d, want %d: %w", h.Version, Version, ErrVersion)
	}
	if _, err := io.ReadFull(r, buf[len(Magic)+1:]); err != nil {
		return h, nil, fmt.Errorf("read envelope header: %w", readErr(err))
	}
	rest := buf[len(Magic)+1:]
	rest = rest[copy(h.Recipient[:], rest):]
	rest = rest[copy(h.ID[:], rest):]
	copy(h.Ephemeral[:], rest)
	return h, buf, nil
}

// readErr maps an early end of input to ErrTruncated and keeps other read
// errors (a broken connection, say) as they are. The result never matches
// io.EOF, so a caller copying a message cannot mistake it for a clean end.
func readErr(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: input ended early", ErrTruncated)
	}
	return err
}

// SealedSize returns the exact number of bytes Seal writes for a message
// body of bodySize bytes, or -1 if bodySize is negative.
func SealedSize(bodySize int64) int64 {
	if bodySize < 0 {
		return -1
	}
	n := int64(fixedSize) + bodySize/MaxChunkData*fullChunk
	if rem := bodySize % MaxChunkData; rem > 0 {
		n += int64(chunkFrame) + rem
	}
	return n
}

// nonce returns the ChaCha20-Poly1305 nonce of chunk number counter: an
// 88-bit big-endian counter followed by one byte, 1 for the final chunk.
func nonce(counter uint64, final bool) [12]byte {
	var n [12]byte
	binary.BigEndian.PutUint64(n[3:11], counter)
	if final {
		n[11] = 1
	}
	return n
}

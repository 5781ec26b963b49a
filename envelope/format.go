package envelope

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Wire constants of format versions 1 and 2; docs/envelope.md is normative.
const (
	// Magic opens every sealed envelope.
	Magic = "YGPE"
	// Version1 is the format written for an envelope without a sender
	// record.
	Version1 = 1
	// Version2 is version 1 plus an optional sender record chunk; it is
	// written for an envelope that carries a record.
	Version2 = 2
	// Version is Version1, the version of every envelope sealed without a
	// record (Seal). Readers accept Version1 and Version2.
	Version = Version1
	// HeaderSize is the size of the outer header in bytes (both versions).
	HeaderSize = len(Magic) + 1 + 32 + 16 + 32
	// MaxChunkData is the most message bytes one data chunk carries.
	MaxChunkData = 64 << 10
	// MaxRecordSize is the largest sender record an envelope carries.
	MaxRecordSize = 4096
)

const (
	kindInner   = 0x01 // inner header: sender address, creation time
	kindData    = 0x02 // message bytes
	kindTrailer = 0x03 // sender signature; always the final chunk
	kindRecord  = 0x04 // sender record; version 2 only, only chunk 1

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
	if h.Version != Version1 && h.Version != Version2 {
		return h, nil, fmt.Errorf("read envelope header: version %d, want %d or %d: %w", h.Version, Version1, Version2, ErrVersion)
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
	return SealedSizeWith(bodySize, 0)
}

// SealedSizeWith returns the exact number of bytes SealWith writes for a
// message of messageSize bytes and a sender record of recordLen bytes (0
// for none), or -1 if either is negative or recordLen exceeds MaxRecordSize.
func SealedSizeWith(messageSize int64, recordLen int) int64 {
	if messageSize < 0 || recordLen < 0 || recordLen > MaxRecordSize {
		return -1
	}
	n := int64(fixedSize) + messageSize/MaxChunkData*fullChunk
	if rem := messageSize % MaxChunkData; rem > 0 {
		n += int64(chunkFrame) + rem
	}
	if recordLen > 0 {
		n += int64(chunkFrame + recordLen)
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

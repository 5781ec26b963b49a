package relay

import (
	"encoding/binary"
	"fmt"
	"time"
)

// recordVersion is the first byte of every record this package writes.
const recordVersion = 1

// heldRec is the index record of one held envelope. It has no field for a
// sender: the relay does not know one.
type heldRec struct {
	size     int64
	received int64 // unix nanoseconds
	expires  int64 // unix nanoseconds
	blob     blobID
}

const heldRecSize = 1 + 8 + 8 + 8 + 16

func (h heldRec) encode() []byte {
	b := make([]byte, 1, heldRecSize)
	b[0] = recordVersion
	b = binary.BigEndian.AppendUint64(b, uint64(h.size))
	b = binary.BigEndian.AppendUint64(b, uint64(h.received))
	b = binary.BigEndian.AppendUint64(b, uint64(h.expires))
	return append(b, h.blob[:]...)
}

func decodeHeld(b []byte) (heldRec, error) {
	var h heldRec
	if err := checkRecord(b, heldRecSize, "held envelope"); err != nil {
		return h, err
	}
	h.size = int64(binary.BigEndian.Uint64(b[1:]))
	h.received = int64(binary.BigEndian.Uint64(b[9:]))
	h.expires = int64(binary.BigEndian.Uint64(b[17:]))
	copy(h.blob[:], b[25:])
	if h.size <= 0 {
		return h, fmt.Errorf("decode held envelope: size %d: %w", h.size, ErrCorrupt)
	}
	return h, nil
}

// timeRec is a record holding one time: a member's registration, an
// invite's creation, a member's newest registration stamp.
const timeRecSize = 1 + 8

func encodeTime(t time.Time) []byte {
	b := make([]byte, 1, timeRecSize)
	b[0] = recordVersion
	return binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
}

func decodeTime(b []byte, what string) (time.Time, error) {
	if err := checkRecord(b, timeRecSize, what); err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[1:]))), nil
}

func checkRecord(b []byte, size int, what string) error {
	if len(b) != size {
		return fmt.Errorf("decode %s: %d bytes, want %d: %w", what, len(b), size, ErrCorrupt)
	}
	if b[0] != recordVersion {
		return fmt.Errorf("decode %s: version %d: %w", what, b[0], ErrCorrupt)
	}
	return nil
}

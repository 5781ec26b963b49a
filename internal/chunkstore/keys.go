package chunkstore

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// ID names one blob.
type ID [16]byte

// NewID draws a random blob ID.
func NewID() (ID, error) {
	var id ID
	if _, err := rand.Read(id[:]); err != nil {
		return id, fmt.Errorf("draw blob id: %w", err)
	}
	return id, nil
}

// Key returns tag followed by parts: the key shape of every table.
func Key(tag byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 1, n)
	k[0] = tag
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// BE32 encodes v big-endian, so that keys sort numerically.
func BE32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// Prefix is the prefix of every chunk key of blob id in table tag.
func Prefix(tag byte, id ID) []byte { return Key(tag, id[:]) }

// ChunkKey is the key of chunk n of blob id in table tag.
func ChunkKey(tag byte, id ID, n uint32) []byte {
	return binary.BigEndian.AppendUint32(Prefix(tag, id), n)
}

// ParseChunkKey returns the blob ID and chunk index of a chunk key of table
// tag; ok is false for any other key.
func ParseChunkKey(tag byte, k []byte) (id ID, n uint32, ok bool) {
	if len(k) != 1+len(id)+4 || k[0] != tag {
		return id, 0, false
	}
	copy(id[:], k[1:])
	return id, binary.BigEndian.Uint32(k[1+len(id):]), true
}

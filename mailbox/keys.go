package mailbox

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// Table tags: the first byte of every key (see the package comment).
const (
	tagSetting   = 's'
	tagCounter   = 'g'
	tagName      = 'n'
	tagMailbox   = 'b'
	tagMessage   = 'i'
	tagChunk     = 'c'
	tagRef       = 'r'
	tagDelivered = 'd'
	tagOutbound  = 'o'
)

// blobID names one stored body (its chunks and reference count).
type blobID [16]byte

func newBlobID() (blobID, error) {
	var id blobID
	if _, err := rand.Read(id[:]); err != nil {
		return id, fmt.Errorf("draw blob id: %w", err)
	}
	return id, nil
}

func keyOf(tag byte, parts ...[]byte) []byte {
	k := []byte{tag}
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func settingKey(name string) []byte  { return keyOf(tagSetting, []byte(name)) }
func counterKey(name string) []byte  { return keyOf(tagCounter, []byte(name)) }
func nameKey(name string) []byte     { return keyOf(tagName, []byte(name)) }
func mailboxKey(id uint32) []byte    { return keyOf(tagMailbox, be32(id)) }
func messagePrefix(id uint32) []byte { return keyOf(tagMessage, be32(id)) }
func messageKey(id, uid uint32) []byte {
	return keyOf(tagMessage, be32(id), be32(uid))
}
func chunkPrefix(b blobID) []byte { return keyOf(tagChunk, b[:]) }
func chunkKey(b blobID, n uint32) []byte {
	return keyOf(tagChunk, b[:], be32(n))
}
func refKey(b blobID) []byte              { return keyOf(tagRef, b[:]) }
func deliveredKey(id [16]byte) []byte     { return keyOf(tagDelivered, id[:]) }
func outboundKey(id [16]byte) []byte      { return keyOf(tagOutbound, id[:]) }
func idFromKey(k []byte) (uint32, bool)   { return tail32(k, 5, 1) }
func uidFromKey(k []byte) (uint32, bool)  { return tail32(k, 9, 5) }
func blobFromKey(k []byte) (blobID, bool) { return blobAt(k, 1) }

func tail32(k []byte, wantLen, off int) (uint32, bool) {
	if len(k) != wantLen {
		return 0, false
	}
	return binary.BigEndian.Uint32(k[off:]), true
}

func blobAt(k []byte, off int) (blobID, bool) {
	var b blobID
	if len(k) < off+len(b) {
		return b, false
	}
	copy(b[:], k[off:])
	return b, true
}

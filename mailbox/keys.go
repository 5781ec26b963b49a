package mailbox

import (
	"encoding/binary"

	"github.com/yggpost/yggpost/internal/chunkstore"
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
	tagSentRow   = 'w'
	tagExpunged  = 'x'
	tagSubscribe = 'u'
	tagMigration = 'm'
)

// blobID names one stored body (its chunks and reference count).
type blobID = chunkstore.ID

func newBlobID() (blobID, error) { return chunkstore.NewID() }

func keyOf(tag byte, parts ...[]byte) []byte { return chunkstore.Key(tag, parts...) }

func be32(v uint32) []byte { return chunkstore.BE32(v) }

func settingKey(name string) []byte  { return keyOf(tagSetting, []byte(name)) }
func counterKey(name string) []byte  { return keyOf(tagCounter, []byte(name)) }
func nameKey(name string) []byte     { return keyOf(tagName, []byte(name)) }
func mailboxKey(id uint32) []byte    { return keyOf(tagMailbox, be32(id)) }
func messagePrefix(id uint32) []byte { return keyOf(tagMessage, be32(id)) }
func messageKey(id, uid uint32) []byte {
	return keyOf(tagMessage, be32(id), be32(uid))
}
func expungedPrefix(id uint32) []byte { return keyOf(tagExpunged, be32(id)) }
func expungedKey(id, uid uint32) []byte {
	return keyOf(tagExpunged, be32(id), be32(uid))
}
func chunkPrefix(b blobID) []byte         { return chunkstore.Prefix(tagChunk, b) }
func chunkKey(b blobID, n uint32) []byte  { return chunkstore.ChunkKey(tagChunk, b, n) }
func refKey(b blobID) []byte              { return keyOf(tagRef, b[:]) }
func deliveredKey(id [16]byte) []byte     { return keyOf(tagDelivered, id[:]) }
func outboundKey(id [16]byte) []byte      { return keyOf(tagOutbound, id[:]) }
func sentRowKey(sent, id [16]byte) []byte { return keyOf(tagSentRow, sent[:], id[:]) }
func idFromKey(k []byte) (uint32, bool)   { return tail32(k, 5, 1) }
func uidFromKey(k []byte) (uint32, bool)  { return tail32(k, 9, 5) }

func tail32(k []byte, wantLen, off int) (uint32, bool) {
	if len(k) != wantLen {
		return 0, false
	}
	return binary.BigEndian.Uint32(k[off:]), true
}

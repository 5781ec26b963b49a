package relay

import (
	"crypto/sha256"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/chunkstore"
)

// Table tags: the first byte of every key (see the package comment).
const (
	tagMember = 'm'
	tagStamp  = 't'
	tagInvite = 'i'
	tagHeld   = 'q'
	tagChunk  = 'c'
	tagRecord = 'r'
	tagGone   = 'u'
)

// blobID names the chunks of one held envelope.
type blobID = chunkstore.ID

func keyOf(tag byte, parts ...[]byte) []byte { return chunkstore.Key(tag, parts...) }

func memberKey(a envelope.Address) []byte { return keyOf(tagMember, a[:]) }
func stampKey(a envelope.Address) []byte  { return keyOf(tagStamp, a[:]) }
func recordKey(a envelope.Address) []byte { return keyOf(tagRecord, a[:]) }
func goneKey(a envelope.Address) []byte   { return keyOf(tagGone, a[:]) }

func inviteKey(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return keyOf(tagInvite, h[:])
}

func heldPrefix(to envelope.Address) []byte { return keyOf(tagHeld, to[:]) }

func heldKey(to envelope.Address, id envelope.ID) []byte { return keyOf(tagHeld, to[:], id[:]) }

// splitHeldKey returns the recipient and id of a "q" key.
func splitHeldKey(k []byte) (envelope.Address, envelope.ID, bool) {
	var to envelope.Address
	var id envelope.ID
	if len(k) != 1+len(to)+len(id) || k[0] != tagHeld {
		return to, id, false
	}
	copy(to[:], k[1:])
	copy(id[:], k[1+len(to):])
	return to, id, true
}

func chunkPrefix(b blobID) []byte        { return chunkstore.Prefix(tagChunk, b) }
func chunkKey(b blobID, n uint32) []byte { return chunkstore.ChunkKey(tagChunk, b, n) }

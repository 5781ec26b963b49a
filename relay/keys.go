package relay

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/yggpost/yggpost/envelope"
)

// Table tags: the first byte of every key (see the package comment).
const (
	tagMember = 'm'
	tagStamp  = 't'
	tagInvite = 'i'
	tagHeld   = 'q'
	tagChunk  = 'c'
)

// blobID names the chunks of one held envelope.
type blobID [16]byte

func newBlobID() (blobID, error) {
	var id blobID
	if _, err := rand.Read(id[:]); err != nil {
		return id, fmt.Errorf("draw blob id: %w", err)
	}
	return id, nil
}

func keyOf(tag byte, parts ...[]byte) []byte {
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

func memberKey(a envelope.Address) []byte { return keyOf(tagMember, a[:]) }
func stampKey(a envelope.Address) []byte  { return keyOf(tagStamp, a[:]) }

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

func chunkPrefix(b blobID) []byte { return keyOf(tagChunk, b[:]) }

func chunkKey(b blobID, n uint32) []byte {
	return binary.BigEndian.AppendUint32(chunkPrefix(b), n)
}

// blobOfChunkKey returns the blob id of a "c" key.
func blobOfChunkKey(k []byte) (blobID, bool) {
	var b blobID
	if len(k) != 1+len(b)+4 || k[0] != tagChunk {
		return b, false
	}
	copy(b[:], k[1:])
	return b, true
}

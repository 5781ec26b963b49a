package node

import (
	"crypto/hmac"
	"crypto/sha256"

	"github.com/yggpost/yggpost/envelope"
)

// submissionID is the envelope ID of the copy of a submitted message for
// rcpt: a keyed hash of the node's key, the recipient and the digest of the
// message as the client submitted it. A client that submits the same
// message again, typically after a failure part-way through a list of
// recipients, so produces the same IDs: an envelope still queued is not
// queued twice, and a recipient's node that stored it already
// de-duplicates it (on sender and ID, docs/protocol.md). Without the key
// nobody can tell the ID from a random one or link two copies of a message.
func (s *submitter) submissionID(digest [sha256.Size]byte, rcpt envelope.Address) envelope.ID {
	mac := hmac.New(sha256.New, s.key.Seed())
	mac.Write([]byte("yggpost submission id\x00"))
	mac.Write(rcpt[:])
	mac.Write(digest[:])
	return envelope.ID(mac.Sum(nil)[:len(envelope.ID{})])
}

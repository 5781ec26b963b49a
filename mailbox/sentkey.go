package mailbox

import (
	"crypto/sha256"
	"strings"
)

// SentCopyKey is the de-duplication key (AppendOptions.EnvelopeID) of the
// copy of a sent message kept in the Sent mailbox, derived from the
// message's Message-ID. The node stores that copy when a client submits a
// message; a client that also APPENDs its own copy to Sent passes the same
// key and so stores nothing twice. An empty Message-ID has no key (ok is
// false): such messages are never de-duplicated.
func SentCopyKey(messageID string) (key [16]byte, ok bool) {
	id := strings.TrimSpace(messageID)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if id == "" {
		return key, false
	}
	sum := sha256.Sum256([]byte("yggpost sent copy\x00" + id))
	return [16]byte(sum[:16]), true
}

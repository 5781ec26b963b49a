package smtpd

import (
	"crypto/rand"
	"strings"

	"github.com/yggpost/yggpost/node/mailheader"
)

// The header rewriting of a submission service (RFC 6409 §8): the server
// adds a Message-ID when the client sent none, and the node removes Bcc
// from the copies that leave. Everything else in the header block stays
// byte for byte as the client wrote it.

// NewMessageID returns a fresh Message-ID value (RFC 5322 §3.6.4),
// "<random@yggmail>", with 130 bits of randomness.
func NewMessageID() string {
	return "<" + strings.ToLower(rand.Text()) + "@yggmail>"
}

// ensureMessageID returns header unchanged if it has a Message-ID
// (mailheader.MessageID). Otherwise it removes any empty Message-ID
// fields and adds a new one as the last field (mailheader.AddField); id is
// the value it added ("" if none was added).
func ensureMessageID(header []byte) (out []byte, id string) {
	if mailheader.MessageID(header) != "" {
		return header, ""
	}
	id = NewMessageID()
	return mailheader.AddField(mailheader.RemoveFields(header, "Message-ID"), "Message-ID: "+id), id
}

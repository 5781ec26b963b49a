package smtpd

import (
	"errors"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/mailheader"
)

// checkFrom enforces that the message's From: header (RFC 5322 §3.6.2)
// is exactly one mailbox, the node's own address local. The header block
// is read by the same rules as the recipient's node reads it
// (mailheader.From), so a message accepted here is not refused there.
func checkFrom(header []byte, local envelope.Address) error {
	from, err := mailheader.From(header)
	switch {
	case errors.Is(err, mailheader.ErrNoFrom):
		return reply(550, 5, 6, 0, "the message has no From: header; it must say From: <%s>", local)
	case errors.Is(err, mailheader.ErrFromAddress):
		return reply(550, 5, 7, 1, "the From: header must name exactly one address, <%s> (%v)", local, err)
	case err != nil:
		return reply(550, 5, 6, 0, "the message header cannot be used (%v); it must have one From: <%s>", err, local)
	case from != local:
		return reply(550, 5, 7, 1, "From: <%s> is not allowed; this node sends only as <%s>", from, local)
	}
	return nil
}

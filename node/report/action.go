package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

// action is the kind of a delivery report (RFC 3464 §2.3.3): failed or
// delayed.
type action interface {
	action() string
	idPrefix() string // of the report's Message-ID
	subject(rcpt envelope.Address) string
	explain(row mailbox.Outbound, reason error) string
	status(enhanced string) string
	extra() string
}

// failed is the report of a message that will not be tried again.
type failed struct{}

func (failed) idPrefix() string                     { return "dsn" }
func (failed) action() string                       { return "failed" }
func (failed) subject(rcpt envelope.Address) string { return "Undelivered mail: " + rcpt.String() }
func (failed) extra() string                        { return "" }

// status makes a temporary status permanent: the refusal stayed temporary
// until the give-up time, and the message is given up now.
func (failed) status(enhanced string) string {
	if strings.HasPrefix(enhanced, "4") {
		return "5" + enhanced[1:]
	}
	return enhanced
}

func (failed) explain(row mailbox.Outbound, reason error) string {
	return fmt.Sprintf("Your message to %s could not be delivered.\r\n\r\nReason: %s\r\n\r\nIt was queued at %s and tried %d times.\r\nEnvelope id: %x\r\n",
		row.Recipient, reason, row.Created.UTC().Format(time.RFC1123Z), row.Attempts+1, row.ID)
}

// delayed is the report of a message still being tried.
type delayed struct{ retryUntil time.Time }

func (delayed) action() string   { return "delayed" }
func (delayed) idPrefix() string { return "delay" }
func (delayed) subject(rcpt envelope.Address) string {
	return "Delayed mail (still trying): " + rcpt.String()
}

// status is 4.4.1 (RFC 3463 §3.5): no answer from the recipient's node.
func (delayed) status(string) string { return "4.4.1" }

func (d delayed) extra() string {
	return "Will-Retry-Until: " + d.retryUntil.UTC().Format(time.RFC1123Z) + "\r\n"
}

func (d delayed) explain(row mailbox.Outbound, reason error) string {
	return fmt.Sprintf("Your message to %s has not been delivered yet; it is still being tried.\r\n\r\nLast attempt: %s\r\n\r\nIt was queued at %s and tried %d times. It will be tried until %s,\r\nand you will get another report if it cannot be delivered by then.\r\nYou do not need to send it again.\r\nEnvelope id: %x\r\n",
		row.Recipient, reason, row.Created.UTC().Format(time.RFC1123Z), row.Attempts+1, d.retryUntil.UTC().Format(time.RFC1123Z), row.ID)
}

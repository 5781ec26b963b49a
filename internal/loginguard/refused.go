package loginguard

import (
	"fmt"
	"time"
)

// Refused is the error for a login that was not checked because its
// address group has failed too often. A server answers it as a temporary
// failure and shows Error to the user: IMAP as NO [UNAVAILABLE] (RFC 5530),
// SMTP AUTH as 454 4.7.0 (RFC 4954 section 6).
type Refused struct {
	// Addr is the address group: "192.0.2.7", or "2001:db8:1:2::/64".
	Addr string
	// Until is when logins from Addr will be checked again.
	Until time.Time
}

// Error says who is refused and until when, to the minute (rounded up, so
// that a retry at the time shown is not refused again).
func (e *Refused) Error() string {
	until := e.Until.UTC()
	if until.Truncate(time.Minute) != until {
		until = until.Truncate(time.Minute).Add(time.Minute)
	}
	return fmt.Sprintf("too many failed logins from %s; try again after %s", e.Addr, until.Format("15:04 UTC"))
}

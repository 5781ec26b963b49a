package peer

import (
	"errors"
	"fmt"
)

// Error is an SMTP reply that refuses a command: a three-digit code, an
// enhanced status code (RFC 3463, "x.y.z", may be empty when the peer sent
// none) and the human-readable text.
type Error struct {
	Code     int
	Enhanced string
	Message  string
}

// Error formats the reply the way it appears on the wire.
func (e *Error) Error() string {
	if e.Enhanced == "" {
		return fmt.Sprintf("peer replied %d %s", e.Code, e.Message)
	}
	return fmt.Sprintf("peer replied %d %s %s", e.Code, e.Enhanced, e.Message)
}

// Temporary reports whether the reply is a 4xx: the same delivery may
// succeed later. 5xx replies are permanent.
func (e *Error) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// ErrNoExtension is returned by the client when the server's EHLO reply does
// not advertise YGGPOST version 1. The stream is still usable for a plain
// SMTP exchange.
var ErrNoExtension = errors.New("peer does not advertise YGGPOST 1")

// ErrDuplicate may be returned (possibly wrapped) by a Receiver whose store
// already holds the envelope. The server acknowledges it like a fresh store,
// with a reply text that says "duplicate".
var ErrDuplicate = errors.New("envelope already stored")

// Replies the server sends in more than one place.
var (
	errSequence   = &Error{503, "5.5.1", "bad sequence of commands"}
	errUnknown    = &Error{500, "5.5.1", "command not recognized"}
	errLineLong   = &Error{500, "5.5.2", "line too long"}
	errBareLF     = &Error{500, "5.5.2", "line must end with CRLF"}
	errParams     = &Error{555, "5.5.4", "parameter not recognized"}
	errLocal      = &Error{451, "4.3.0", "local error in processing, try again later"}
	errTooMany    = &Error{421, "4.7.0", "too many errors, closing connection"}
	errTimeout    = &Error{421, "4.4.2", "idle too long, closing connection"}
	errNotHelloed = &Error{503, "5.5.1", "send EHLO first"}
)

package relay

import "errors"

// Errors returned by the Relay, wrapped with the operation; test them with
// errors.Is.
var (
	// ErrNotMember: the envelope's recipient is not a member.
	ErrNotMember = errors.New("recipient is not a member of this relay")
	// ErrQuotaBytes: the recipient's byte quota would be exceeded.
	ErrQuotaBytes = errors.New("member byte quota exceeded")
	// ErrQuotaCount: the recipient's envelope quota would be exceeded.
	ErrQuotaCount = errors.New("member envelope quota exceeded")
	// ErrTooLarge: the envelope is larger than Options.MaxEnvelope.
	ErrTooLarge = errors.New("envelope too large")
	// ErrRateLimited: the depositor deposits faster than Options.DepositRate.
	ErrRateLimited = errors.New("depositor rate limit exceeded")
	// ErrBusy: Options.MaxDeposits deposits are already in progress.
	ErrBusy = errors.New("too many deposits in progress")
	// ErrMalformed: the bytes are not a sealed envelope of the stated size.
	ErrMalformed = errors.New("malformed envelope")
	// ErrNotHeld: no envelope with that id is held for that member.
	ErrNotHeld = errors.New("envelope not held")

	// ErrBadRegistration: a registration cannot be decoded or is incomplete.
	ErrBadRegistration = errors.New("malformed registration")
	// ErrBadSignature: a registration, receipt or relay record signature
	// does not verify.
	ErrBadSignature = errors.New("signature does not verify")
	// ErrWrongRelay: a registration names another relay.
	ErrWrongRelay = errors.New("registration is for another relay")
	// ErrStale: a registration's time is outside the accepted window or not
	// newer than the member's last accepted registration (a replay).
	ErrStale = errors.New("registration time stale or replayed")
	// ErrNotAllowed: the membership policy does not admit this key.
	ErrNotAllowed = errors.New("membership not allowed by policy")
	// ErrBadInvite: the invite token is missing, unknown, used or expired.
	ErrBadInvite = errors.New("invalid invite token")
	// ErrTooManyInvites: MaxInvites invites are outstanding.
	ErrTooManyInvites = errors.New("too many outstanding invites")
	// ErrTooManyWatchers: the member has MaxWatchers watchers already.
	ErrTooManyWatchers = errors.New("too many watchers")

	// ErrForwardBytes: the bytes held for forwarding, in total, would
	// exceed Options.ForwardBytes.
	ErrForwardBytes = errors.New("forwarding byte quota exceeded")
	// ErrForwardCount: the envelopes held for forwarding, in total, would
	// exceed Options.ForwardCount.
	ErrForwardCount = errors.New("forwarding envelope quota exceeded")

	// ErrBadRecord: a relay record cannot be decoded or breaks its limits.
	ErrBadRecord = errors.New("malformed relay record")
	// ErrRecordExpired: a relay record is past its expiry time.
	ErrRecordExpired = errors.New("relay record expired")
	// ErrNotListed: a published relay record does not name this relay.
	ErrNotListed = errors.New("relay record does not list this relay")

	// ErrBadReceipt: a custody receipt cannot be decoded.
	ErrBadReceipt = errors.New("malformed custody receipt")
	// ErrCorrupt: a value on disk could not be decoded.
	ErrCorrupt = errors.New("corrupt record in the relay store")
	// ErrClosed: the Relay has been closed.
	ErrClosed = errors.New("relay closed")
)

// Temporary reports whether a deposit refused with err may succeed later
// without any change by the sender: a full quota drains when the member
// collects or forwarding hands envelopes on, a rate limit or a busy relay
// passes. Everything else is permanent.
func Temporary(err error) bool {
	for _, t := range []error{ErrQuotaBytes, ErrQuotaCount, ErrForwardBytes, ErrForwardCount, ErrRateLimited, ErrBusy, ErrClosed} {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

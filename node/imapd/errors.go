package imapd

import (
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/mailbox"
)

// storeError turns an error of the mailbox store into the IMAP response the
// client gets. Known store errors become a tagged NO with a response code
// (RFC 5530); anything else is wrapped with the operation, logged by
// imapserver and reported as a server bug.
func storeError(op string, err error) error {
	if err == nil {
		return nil
	}
	code := imap.ResponseCode("")
	switch {
	case errors.Is(err, mailbox.ErrNoMailbox):
		code = imap.ResponseCodeNonExistent
	case errors.Is(err, mailbox.ErrNotFound):
		code = imap.ResponseCodeNonExistent
	case errors.Is(err, mailbox.ErrExists):
		code = imap.ResponseCodeAlreadyExists
	case errors.Is(err, mailbox.ErrBadName), errors.Is(err, mailbox.ErrBadFlag),
		errors.Is(err, mailbox.ErrInboxDelete):
		code = imap.ResponseCodeCannot
	case errors.Is(err, mailbox.ErrTooLarge):
		code = imap.ResponseCodeTooBig
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: fmt.Sprintf("%s: %v", op, err)}
}

// noError is a tagged NO with a response code and text.
func noError(code imap.ResponseCode, text string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
}

// badError is a tagged BAD: the client sent something it should not have.
func badError(text string) error {
	return &imap.Error{Type: imap.StatusResponseTypeBad, Code: imap.ResponseCodeClientBug, Text: text}
}

// errPrivacyRequired answers a login that may not happen without TLS
// (RFC 5530 PRIVACYREQUIRED).
var errPrivacyRequired = &imap.Error{
	Type: imap.StatusResponseTypeNo,
	Code: imap.ResponseCodePrivacyRequired,
	Text: "Log in over TLS: issue STARTTLS first, or use the IMAPS port",
}

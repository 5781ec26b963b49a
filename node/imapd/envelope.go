package imapd

import (
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	gomail "github.com/emersion/go-message/mail"

	"github.com/yggpost/yggpost/node/mailheader"
)

// Placeholders for the parts an address lacks, as Dovecot writes them: an
// empty host would read as the start of a group (RFC 3501 7.4.2).
const (
	missingMailbox = "MISSING_MAILBOX"
	missingDomain  = "MISSING_DOMAIN"
)

// envelopeOf builds ENVELOPE (RFC 3501 7.4.2, RFC 9051 7.5.2) from a raw
// header block, read with mailheader: what cannot be read is left out, so
// any header, however broken, has an envelope. Address lists keep their
// groups: a group is an address with the group's name as mailbox name
// and no host, its members, then an address with neither. The first
// field of each name counts. imapserver writes the subject and display
// names Q-encoded as UTF-8 where they are not ASCII, and a missing Sender
// or Reply-To as From.
func envelopeOf(block []byte) *imap.Envelope {
	env := &imap.Envelope{
		Date:      sentDateOf(block),
		Subject:   mailheader.DecodeText(strings.TrimSpace(first(block, "Subject"))),
		From:      addressesOf(block, "From"),
		Sender:    addressesOf(block, "Sender"),
		ReplyTo:   addressesOf(block, "Reply-To"),
		To:        addressesOf(block, "To"),
		Cc:        addressesOf(block, "Cc"),
		Bcc:       addressesOf(block, "Bcc"),
		InReplyTo: msgIDs(first(block, "In-Reply-To")),
		MessageID: unbracket(mailheader.MessageID(block)),
	}
	return env
}

// first is the value of the first field called name, or "".
func first(block []byte, name string) string {
	if v := mailheader.Values(block, name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// sentDateOf reads the Date field (RFC 5322 3.3, with obsolete forms and
// comments); the zero time if there is none or it cannot be read.
func sentDateOf(block []byte) time.Time {
	v := strings.TrimSpace(first(block, "Date"))
	if v == "" {
		return time.Time{}
	}
	t, err := mail.ParseDate(v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// addressesOf converts the address list of the first field called name;
// nil if there is none, so that imapserver can put From in its place.
func addressesOf(block []byte, name string) []imap.Address {
	var out []imap.Address
	for _, e := range mailheader.AddressList(first(block, name)) {
		if !e.IsGroup {
			out = append(out, imapAddress(e.Mailbox))
			continue
		}
		out = append(out, imap.Address{Mailbox: orMissing(e.Group, missingMailbox)})
		for _, m := range e.Members {
			out = append(out, imapAddress(m))
		}
		out = append(out, imap.Address{})
	}
	return out
}

func imapAddress(m mailheader.Mailbox) imap.Address {
	return imap.Address{
		Name:    m.Name,
		Mailbox: orMissing(m.Local, missingMailbox),
		Host:    orMissing(m.Domain, missingDomain),
	}
}

func orMissing(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}

// msgIDs returns the message ids of an In-Reply-To value without their
// angle brackets (imapserver adds them), read by go-message. Ids after one
// it cannot read are dropped; a value with none it can read is kept whole,
// trimmed, so that nothing a client might match on is lost.
func msgIDs(v string) []string {
	if v = strings.TrimSpace(v); v == "" {
		return nil
	}
	h := gomail.Header{}
	h.Set("In-Reply-To", v)
	ids, _ := h.MsgIDList("In-Reply-To")
	if len(ids) == 0 {
		return []string{unbracket(v)}
	}
	return ids
}

// unbracket removes the angle brackets around a message id.
func unbracket(id string) string {
	if strings.HasPrefix(id, "<") && strings.HasSuffix(id, ">") && len(id) >= 2 {
		return id[1 : len(id)-1]
	}
	return id
}

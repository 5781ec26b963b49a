package imapd

import (
	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/mailbox"
)

// Append implements APPEND (RFC 9051 6.3.12) with APPENDUID (RFC 4315).
// The literal streams into the store; imapserver has already refused one
// above AppendLimit. If the mailbox is selected here, EXISTS follows before
// the tagged OK.
func (s *session) Append(name string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	name = canonicalName(name)
	flags := make([]string, 0, len(options.Flags))
	for _, f := range options.Flags {
		if f != "\\Recent" {
			flags = append(flags, string(f))
		}
	}
	m, _, err := s.srv.store.Append(name, r, mailbox.AppendOptions{Flags: flags, Date: options.Time})
	if err != nil {
		if isNoMailbox(err) {
			return nil, noError(imap.ResponseCodeTryCreate, "append: no mailbox "+quote(name))
		}
		return nil, storeError("append to "+quote(name), err)
	}
	st, err := s.srv.store.Status(name)
	if err != nil {
		return nil, storeError("append to "+quote(name), err)
	}
	if s.sel != nil && s.sel.name == name {
		s.sel.hub.sync(nil, nil)
	}
	return &imap.AppendData{UID: imap.UID(m.UID), UIDValidity: st.UIDValidity}, nil
}

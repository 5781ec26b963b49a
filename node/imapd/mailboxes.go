package imapd

import (
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/mailbox"
)

// delim is the hierarchy separator clients see; it is the store's.
const delim = '/'

// canonicalName maps any spelling of INBOX to "INBOX" (RFC 9051 5.1);
// other names are case-sensitive.
func canonicalName(name string) string {
	if strings.EqualFold(name, mailbox.Inbox) {
		return mailbox.Inbox
	}
	return name
}

// Create implements CREATE (RFC 9051 6.3.4) with the USE parameter of
// CREATE-SPECIAL-USE (RFC 6154 3). A trailing separator only declares
// hierarchy, so it is dropped. More than one attribute, or one the store
// does not offer, is refused with USEATTR (RFC 6154 6).
func (s *session) Create(name string, options *imap.CreateOptions) error {
	name = strings.TrimSuffix(canonicalName(name), string(delim))
	use := ""
	if options != nil && len(options.SpecialUse) > 0 {
		if len(options.SpecialUse) > 1 {
			return noError(responseCodeUseAttr, "create: only one special-use attribute per mailbox")
		}
		use = string(options.SpecialUse[0])
	}
	err := s.wrote(s.srv.store.CreateSpecialMailbox(name, use))
	if errors.Is(err, mailbox.ErrBadSpecialUse) {
		return noError(responseCodeUseAttr, "create: special use "+use+" is not supported")
	}
	return storeError("create mailbox "+quote(name), err)
}

// responseCodeUseAttr answers an unsupported CREATE ... (USE ...)
// (RFC 6154 6).
const responseCodeUseAttr imap.ResponseCode = "USEATTR"

// specialUseMailbox returns whether mailbox name has special use use.
func (s *session) specialUseMailbox(name, use string) (bool, error) {
	boxes, err := s.srv.store.Mailboxes()
	if err != nil {
		return false, storeError("list mailboxes", err)
	}
	for _, mb := range boxes {
		if mb.Name == name {
			return mb.SpecialUse == use, nil
		}
	}
	return false, nil
}

// Delete implements DELETE (RFC 9051 6.3.5). Sessions that have the
// mailbox selected check it before they are told anything more, and end
// (session.moved).
func (s *session) Delete(name string) error {
	name = canonicalName(name)
	err := s.wrote(s.srv.store.DeleteMailbox(name))
	if err == nil {
		s.moved(name)
	}
	return storeError("delete mailbox "+quote(name), err)
}

// Rename implements RENAME (RFC 9051 6.3.6). Sessions that have the
// mailbox, or one below it, selected check it as after a DELETE.
func (s *session) Rename(oldName, newName string, _ *imap.RenameOptions) error {
	oldName, newName = canonicalName(oldName), canonicalName(newName)
	err := s.wrote(s.srv.store.RenameMailbox(oldName, newName))
	if err == nil {
		s.moved(oldName)
	}
	return storeError("rename mailbox "+quote(oldName), err)
}

// Subscribe implements SUBSCRIBE (RFC 9051 6.3.7). The name need not
// exist: subscriptions are independent of the mailboxes (RFC 3501 6.3.6).
func (s *session) Subscribe(name string) error {
	name = canonicalName(name)
	return storeError("subscribe "+quote(name), s.wrote(s.srv.store.SetSubscribed(name, true)))
}

// Unsubscribe implements UNSUBSCRIBE (RFC 9051 6.3.8), of any name,
// whether or not its mailbox exists.
func (s *session) Unsubscribe(name string) error {
	name = canonicalName(name)
	return storeError("unsubscribe "+quote(name), s.wrote(s.srv.store.SetSubscribed(name, false)))
}

// Status implements STATUS (RFC 9051 6.3.11, RFC 8438 STATUS=SIZE).
func (s *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	name = canonicalName(name)
	data, err := s.statusData(name, options)
	if err != nil {
		return nil, storeError("status of "+quote(name), err)
	}
	return data, nil
}

// statusData reads the items options asks for; errors are the store's.
func (s *session) statusData(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	st, err := s.srv.store.Status(name)
	if err != nil {
		return nil, err
	}
	data := &imap.StatusData{Mailbox: name}
	if options.NumMessages {
		data.NumMessages = &st.Messages
	}
	if options.NumRecent {
		data.NumRecent = &st.Recent // not yet claimed by any session (recent.go)
	}
	if options.UIDNext {
		data.UIDNext = imap.UID(st.UIDNext)
	}
	if options.UIDValidity {
		data.UIDValidity = st.UIDValidity
	}
	if options.NumUnseen {
		data.NumUnseen = &st.Unseen
	}
	if options.Size {
		data.Size = &st.Size
	}
	if options.AppendLimit {
		data.AppendLimit = &s.srv.limit
	}
	if options.HighestModSeq {
		data.HighestModSeq = st.HighestModSeq
	}
	return data, nil
}

func quote(name string) string { return `"` + name + `"` }

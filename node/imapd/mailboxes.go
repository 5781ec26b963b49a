package imapd

import (
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

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
	err := s.srv.store.CreateSpecialMailbox(name, use)
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

// Delete implements DELETE (RFC 9051 6.3.5).
func (s *session) Delete(name string) error {
	name = canonicalName(name)
	return storeError("delete mailbox "+quote(name), s.srv.store.DeleteMailbox(name))
}

// Rename implements RENAME (RFC 9051 6.3.6).
func (s *session) Rename(oldName, newName string, _ *imap.RenameOptions) error {
	oldName, newName = canonicalName(oldName), canonicalName(newName)
	return storeError("rename mailbox "+quote(oldName), s.srv.store.RenameMailbox(oldName, newName))
}

// Subscribe implements SUBSCRIBE (RFC 9051 6.3.7).
func (s *session) Subscribe(name string) error {
	name = canonicalName(name)
	return storeError("subscribe "+quote(name), s.srv.store.SetSubscribed(name, true))
}

// Unsubscribe implements UNSUBSCRIBE (RFC 9051 6.3.8).
func (s *session) Unsubscribe(name string) error {
	name = canonicalName(name)
	return storeError("unsubscribe "+quote(name), s.srv.store.SetSubscribed(name, false))
}

// List implements LIST and LSUB (RFC 9051 6.3.9, RFC 5258 LIST-EXTENDED,
// RFC 5819 LIST-STATUS), with special-use attributes (RFC 6154) and
// \HasChildren/\HasNoChildren (RFC 3348) always included.
func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 || (len(patterns) == 1 && patterns[0] == "") {
		// RFC 9051 6.3.9: an empty pattern asks for the delimiter
		// (imapserver drops empty patterns from LIST, so none are left).
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: delim})
	}
	boxes, err := s.srv.store.Mailboxes()
	if err != nil {
		return storeError("list mailboxes", err)
	}
	for _, mb := range boxes {
		if !listMatches(mb, ref, patterns, options) {
			continue
		}
		data := listData(mb, boxes, options)
		if options.ReturnStatus != nil {
			if data.Status, err = s.Status(mb.Name, options.ReturnStatus); err != nil {
				return err
			}
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

func listMatches(mb mailbox.Mailbox, ref string, patterns []string, options *imap.ListOptions) bool {
	if options.SelectSubscribed && !mb.Subscribed {
		return false
	}
	if options.SelectSpecialUse && mb.SpecialUse == "" {
		return false
	}
	for _, p := range patterns {
		if imapserver.MatchList(mb.Name, delim, ref, p) {
			return true
		}
	}
	return false
}

func listData(mb mailbox.Mailbox, all []mailbox.Mailbox, options *imap.ListOptions) *imap.ListData {
	data := &imap.ListData{Mailbox: mb.Name, Delim: delim}
	if hasChildren(mb.Name, all) {
		data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
	} else {
		data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
	}
	if mb.SpecialUse != "" {
		data.Attrs = append(data.Attrs, imap.MailboxAttr(mb.SpecialUse))
	}
	if mb.Subscribed && (options.ReturnSubscribed || options.SelectSubscribed) {
		data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
	}
	return data
}

func hasChildren(name string, all []mailbox.Mailbox) bool {
	prefix := name + string(delim)
	for _, mb := range all {
		if strings.HasPrefix(mb.Name, prefix) {
			return true
		}
	}
	return false
}

// Status implements STATUS (RFC 9051 6.3.11, RFC 8438 STATUS=SIZE).
func (s *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	name = canonicalName(name)
	st, err := s.srv.store.Status(name)
	if err != nil {
		return nil, storeError("status of "+quote(name), err)
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
	return data, nil
}

func quote(name string) string { return `"` + name + `"` }

package imapd

import (
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/mailbox"
)

// listView is what LIST and LSUB look at: the mailboxes and the
// subscriptions of the store, read once per command.
type listView struct {
	boxes      map[string]mailbox.Mailbox
	names      []string // sorted: the mailboxes and every level above one
	existing   []string // sorted: the mailboxes
	subscribed []string // sorted
}

func (s *session) listView() (*listView, error) {
	boxes, err := s.srv.store.Mailboxes()
	if err != nil {
		return nil, storeError("list mailboxes", err)
	}
	subs, err := s.srv.store.Subscriptions()
	if err != nil {
		return nil, storeError("list subscriptions", err)
	}
	v := &listView{boxes: make(map[string]mailbox.Mailbox, len(boxes)), subscribed: subs}
	for _, mb := range boxes {
		v.boxes[mb.Name] = mb
		v.existing = append(v.existing, mb.Name)
		v.names = append(v.names, mb.Name)
		v.names = append(v.names, levelsAbove(mb.Name)...)
	}
	slices.Sort(v.existing)
	slices.Sort(v.names)
	v.names = slices.Compact(v.names)
	return v, nil
}

// levelsAbove returns the names of the levels of hierarchy above name:
// "a/b/c" gives "a" and "a/b".
func levelsAbove(name string) []string {
	var out []string
	for i := 0; i < len(name); i++ {
		if name[i] == delim {
			out = append(out, name[:i])
		}
	}
	return out
}

func (v *listView) exists(name string) bool {
	_, ok := v.boxes[name]
	return ok
}

func (v *listView) isSubscribed(name string) bool {
	_, ok := slices.BinarySearch(v.subscribed, name)
	return ok
}

// hasChildren reports whether a mailbox exists below name.
func (v *listView) hasChildren(name string) bool {
	return len(below(v.existing, name)) > 0
}

// below returns the names of sorted that lie below name in the hierarchy.
func below(sorted []string, name string) []string {
	prefix := name + string(delim)
	i, _ := slices.BinarySearch(sorted, prefix)
	j := i
	for j < len(sorted) && strings.HasPrefix(sorted[j], prefix) {
		j++
	}
	return sorted[i:j]
}

// attrs returns the attributes of name that do not depend on the
// subscriptions. A name without a mailbox is \NonExistent under
// LIST-EXTENDED (RFC 5258 3) and \Noselect otherwise (RFC 3501 6.3.8).
func (v *listView) attrs(name string, extended bool) []imap.MailboxAttr {
	children := imap.MailboxAttrHasChildren
	if !v.hasChildren(name) {
		children = imap.MailboxAttrHasNoChildren
	}
	mb, ok := v.boxes[name]
	switch {
	case !ok && children == imap.MailboxAttrHasNoChildren:
		return []imap.MailboxAttr{nonExistent(extended)}
	case !ok:
		return []imap.MailboxAttr{nonExistent(extended), children}
	case mb.SpecialUse != "":
		return []imap.MailboxAttr{children, imap.MailboxAttr(mb.SpecialUse)}
	}
	return []imap.MailboxAttr{children}
}

func nonExistent(extended bool) imap.MailboxAttr {
	if extended {
		return imap.MailboxAttrNonExistent
	}
	return imap.MailboxAttrNoSelect
}

package imapd

import (
	"errors"
	"reflect"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/mailbox"
)

// List implements LIST and LSUB (RFC 3501 6.3.8-9, RFC 9051 6.3.9, RFC
// 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS), with special-use attributes
// (RFC 6154) and \HasChildren/\HasNoChildren (RFC 3348) always included.
// Besides the mailboxes it lists the names that are only levels of
// hierarchy above one (a deleted parent, RFC 3501 6.3.5) and the
// subscribed names that have no mailbox.
func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	lsub := isLSUB(w)
	if len(patterns) == 0 {
		// imapserver drops an empty pattern from LIST. Without
		// LIST-EXTENDED options it asks for the delimiter and the root of
		// the reference (RFC 3501 6.3.8).
		if isExtendedList(options, patterns) {
			return nil
		}
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: delim, Mailbox: listRoot(ref)})
	}
	view, err := s.listView()
	if err != nil {
		return err
	}
	q := listQuery{view: view, patterns: newListPatterns(ref, patterns), options: options}
	var found []*imap.ListData
	switch {
	case lsub:
		found = q.lsub(patterns[0])
	case options.SelectSubscribed:
		found = q.subscribed()
	default:
		found = q.all(isExtendedList(options, patterns))
	}
	for _, data := range found {
		if options.ReturnStatus != nil && view.exists(data.Mailbox) {
			// A mailbox deleted since the view was read goes without.
			data.Status, err = s.statusData(data.Mailbox, options.ReturnStatus)
			if err != nil && !errors.Is(err, mailbox.ErrNoMailbox) {
				return storeError("status of "+quote(data.Mailbox), err)
			}
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

// isLSUB reports whether w answers LSUB: imapserver hands LSUB to
// Session.List as LIST (SUBSCRIBED), and only its ListWriter knows which
// command it answers. The two differ (RFC 5258 3.1 against RFC 3501
// 6.3.9) in how they show names without a mailbox.
func isLSUB(w *imapserver.ListWriter) bool {
	f := reflect.ValueOf(w).Elem().FieldByName("lsub")
	return f.IsValid() && f.Kind() == reflect.Bool && f.Bool()
}

// isExtendedList reports whether a LIST used LIST-EXTENDED syntax that
// imapserver lets us see: selection or return options, or several patterns.
func isExtendedList(o *imap.ListOptions, patterns []string) bool {
	return len(patterns) > 1 || o.SelectSubscribed || o.SelectRemote || o.SelectSpecialUse ||
		o.ReturnSubscribed || o.ReturnChildren || o.ReturnSpecialUse || o.ReturnStatus != nil
}

// listRoot is the root name of LIST ref "": the reference up to and with
// its first delimiter, or "" (as UW-IMAP and Dovecot answer).
func listRoot(ref string) string {
	if i := strings.IndexRune(ref, delim); i >= 0 {
		return ref[:i+1]
	}
	return ""
}

// listQuery answers one LIST or LSUB command from a listView.
type listQuery struct {
	view     *listView
	patterns listPatterns
	options  *imap.ListOptions
}

func (q listQuery) entry(name string, attrs []imap.MailboxAttr) *imap.ListData {
	return &imap.ListData{Mailbox: name, Delim: delim, Attrs: attrs}
}

// all answers LIST without the SUBSCRIBED selection: the mailboxes and
// levels of hierarchy that match (RFC 3501 6.3.8).
func (q listQuery) all(extended bool) []*imap.ListData {
	var out []*imap.ListData
	for _, name := range q.view.names {
		if !q.patterns.match(name) || (q.options.SelectSpecialUse && q.view.boxes[name].SpecialUse == "") {
			continue
		}
		data := q.entry(name, q.view.attrs(name, extended))
		if q.options.ReturnSubscribed && q.view.isSubscribed(name) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		out = append(out, data)
	}
	return out
}

// subscribed answers LIST (SUBSCRIBED): the subscribed names that match,
// with a mailbox or \NonExistent (RFC 5258 3.1). With RECURSIVEMATCH a
// matching name that has a subscribed name below it that no pattern
// matches comes too, with CHILDINFO (RFC 5258 3.5), whether or not it is
// subscribed itself.
func (q listQuery) subscribed() []*imap.ListData {
	var out []*imap.ListData
	for _, name := range q.subscribedAndAbove(q.options.SelectRecursiveMatch) {
		if !q.patterns.match(name) {
			continue
		}
		selected := q.view.isSubscribed(name) && (!q.options.SelectSpecialUse || q.view.boxes[name].SpecialUse != "")
		childInfo := q.options.SelectRecursiveMatch && q.missesSubscribedBelow(name)
		if !selected && !childInfo {
			continue
		}
		data := q.entry(name, q.view.attrs(name, true))
		if q.view.isSubscribed(name) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		if childInfo {
			data.ChildInfo = &imap.ListDataChildInfo{Subscribed: true}
		}
		out = append(out, data)
	}
	return out
}

// lsub answers LSUB (RFC 3501 6.3.9): the subscribed names that match,
// \Noselect where no mailbox has the name. For a pattern that ends in
// "%", a matching level above a subscribed name that the pattern misses
// comes too, \Noselect unless subscribed itself.
func (q listQuery) lsub(pattern string) []*imap.ListData {
	levels := strings.HasSuffix(pattern, "%")
	var out []*imap.ListData
	for _, name := range q.subscribedAndAbove(levels) {
		if !q.patterns.match(name) {
			continue
		}
		switch {
		case q.view.isSubscribed(name):
			out = append(out, q.entry(name, q.view.attrs(name, false)))
		case levels && q.missesSubscribedBelow(name):
			out = append(out, q.entry(name, []imap.MailboxAttr{imap.MailboxAttrNoSelect}))
		}
	}
	return out
}

// subscribedAndAbove returns the subscribed names, and with levels the
// levels of hierarchy above them, sorted.
func (q listQuery) subscribedAndAbove(levels bool) []string {
	if !levels {
		return q.view.subscribed
	}
	names := slices.Clone(q.view.subscribed)
	for _, name := range q.view.subscribed {
		names = append(names, levelsAbove(name)...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// missesSubscribedBelow reports whether a subscribed name below name
// matches no pattern.
func (q listQuery) missesSubscribedBelow(name string) bool {
	for _, sub := range below(q.view.subscribed, name) {
		if !q.patterns.match(sub) {
			return true
		}
	}
	return false
}

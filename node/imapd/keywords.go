package imapd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

// Keywords (RFC 3501 7.2.6). The FLAGS a session was given at SELECT list
// the system flags and every keyword in use; when a STORE anywhere creates
// a keyword, each session with the mailbox selected gets a new FLAGS (and,
// read-write, PERMANENTFLAGS) response before any FETCH that carries it:
// at its next poll, and before the FETCH responses of its own FETCH and
// STORE. The hub's keyword list only grows, so a count tells a view what
// it has not heard.

// flagsWriteTimeout bounds writing an announcement to a stalled client.
const flagsWriteTimeout = 30 * time.Second

// newKeywordsLocked returns the hub's keywords if the client has not been
// told all of them, and records that it now is; nil otherwise.
func (v *view) newKeywordsLocked() []string {
	kw := v.hub.keywords
	if v.keywords == len(kw) {
		return nil
	}
	v.keywords = len(kw)
	return append([]string(nil), kw...)
}

// announceKeywords tells the client of keywords created since it was last
// told; commands call it before writing FETCH responses.
func (s *session) announceKeywords() error {
	h := s.sel.hub
	h.mu.Lock()
	keywords := s.sel.tracker.newKeywordsLocked()
	h.mu.Unlock()
	if keywords == nil {
		return nil
	}
	return s.writeFlags(keywords, s.sel.readOnly)
}

// mailboxFlags returns the system flags followed by keywords.
func mailboxFlags(keywords []string) []imap.Flag {
	flags := systemFlags()
	for _, k := range keywords {
		flags = append(flags, imap.Flag(k))
	}
	return flags
}

// writeFlags writes FLAGS and, unless readOnly, PERMANENTFLAGS with
// keywords. imapserver offers no writer for PERMANENTFLAGS outside SELECT,
// so both lines go to the connection directly. That keeps the order of
// responses because the connection's goroutine (or, during IDLE, the IDLE
// goroutine) is the only writer and imapserver flushes every response it
// completes.
func (s *session) writeFlags(keywords []string, readOnly bool) error {
	list := flagList(mailboxFlags(keywords))
	text := "* FLAGS (" + list + ")\r\n"
	if !readOnly {
		text += "* OK [PERMANENTFLAGS (" + list + ` \*)] Flags permitted` + "\r\n"
	}
	nc := s.conn.NetConn()
	if err := nc.SetWriteDeadline(time.Now().Add(flagsWriteTimeout)); err != nil {
		return fmt.Errorf("announce flags: %w", err)
	}
	defer nc.SetWriteDeadline(time.Time{})
	if _, err := io.WriteString(nc, text); err != nil {
		return fmt.Errorf("announce flags: %w", err)
	}
	return nil
}

func flagList(flags []imap.Flag) string {
	parts := make([]string, len(flags))
	for i, f := range flags {
		parts[i] = string(f)
	}
	return strings.Join(parts, " ")
}

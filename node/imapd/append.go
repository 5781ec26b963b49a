package imapd

import (
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"

	"github.com/yggpost/yggpost/mailbox"
)

// Append implements APPEND (RFC 9051 6.3.12) with APPENDUID (RFC 4315).
// The literal streams into the store; imapserver has already refused one
// above AppendLimit. If the mailbox is selected here, EXISTS follows before
// the tagged OK.
//
// A message appended to a \Sent mailbox is keyed by its Message-ID
// (mailbox.SentCopyKey), the key the node stores its own copy of a
// submitted message under: when that copy is already there, nothing is
// stored and APPENDUID names the existing message, so a client that saves
// its own copy of what it sent (Thunderbird) does not see it twice.
func (s *session) Append(name string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	name = canonicalName(name)
	var body io.Reader = &wholeLiteral{r: r, left: r.Size()}
	var key *[16]byte
	if sent, err := s.specialUseMailbox(name, string(imap.MailboxAttrSent)); err != nil {
		return nil, err
	} else if sent {
		if key, body, err = sentCopyKey(body); err != nil {
			return nil, storeError("append to "+quote(name), err)
		}
	}
	flags := make([]string, 0, len(options.Flags))
	for _, f := range options.Flags {
		if f != "\\Recent" {
			flags = append(flags, string(f))
		}
	}
	a, err := s.srv.store.AppendUID(name, body, mailbox.AppendOptions{Flags: flags, Date: options.Time, EnvelopeID: key})
	if err != nil {
		if isNoMailbox(err) {
			return nil, noError(imap.ResponseCodeTryCreate, "append: no mailbox "+quote(name))
		}
		return nil, storeError("append to "+quote(name), err)
	}
	// a.UIDValidity is the mailbox's the message went to, read as it was
	// stored: the selected one only if it has the selected UIDVALIDITY, and
	// APPENDUID names it even if the name has another mailbox by now.
	if s.appendedToSelected(name, a.UIDValidity) {
		s.sel.hub.settle(a.ModSeq)
	}
	s.wrote(nil)
	if a.Duplicate {
		s.log.Debug("appended copy of a sent message already stored", "mailbox", name, "uid", a.UID)
	}
	if a.UID == 0 {
		return nil, nil // the earlier copy is gone: OK without APPENDUID
	}
	return &imap.AppendData{UID: imap.UID(a.UID), UIDValidity: a.UIDValidity}, nil
}

// appendedToSelected reports whether the mailbox name, with uidValidity as
// read after the append, is the one selected, whose view must show the
// new message before the tagged OK. A mailbox given the selected one's
// name since is another: its changes never reach the view, which would
// wait for them until settleTimeout.
func (s *session) appendedToSelected(name string, uidValidity uint32) bool {
	return s.sel != nil && s.sel.name == name && s.sel.uidValidity == uidValidity
}

// wholeLiteral reads a literal of left more bytes. A literal that ends
// before them, because the client's connection broke, fails with
// io.ErrUnexpectedEOF instead of ending cleanly (imapserver's literal
// reader ends with io.EOF either way), so that no message cut short is
// stored.
type wholeLiteral struct {
	r    io.Reader
	left int64
}

func (w *wholeLiteral) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.left -= int64(n)
	if err == io.EOF && w.left > 0 {
		err = fmt.Errorf("literal ended %d bytes short: %w", w.left, io.ErrUnexpectedEOF)
	}
	return n, err
}

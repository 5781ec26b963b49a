package node

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
)

// copyPlan says how the copies of one submitted message are made. Every
// recipient's copy (the user's own INBOX copy included) is the message
// with a header block without Bcc fields (RFC 5322 §3.6.3: Bcc recipients
// stay hidden). The sender's Sent copy is the message as submitted, plus
// a Bcc field naming the recipients the header does not show, if any:
// most clients strip Bcc before they submit, and the Sent copy is where
// the sender looks up who got the message.
type copyPlan struct {
	messageID  string            // the Message-ID value, "<…>"; "" if the message has none
	outHeader  []byte            // the header block of the recipients' copies
	sentHeader []byte            // the header block of the Sent copy
	bodyAt     int64             // offset of the body (after the header block) in the spool
	digest     [sha256.Size]byte // of the message as submitted; see submissionID
	// chat is set for messages from chat clients such as Delta Chat
	// (a Chat-Version field): they get no Sent copy, see sentCopy.
	chat bool
}

// planCopies reads the header block of the spooled message sent to rcpts.
func planCopies(spool io.ReaderAt, size int64, rcpts []envelope.Address) (copyPlan, error) {
	header, _, err := mailheader.Read(io.NewSectionReader(spool, 0, size), mailheader.DefaultMax)
	if err != nil {
		return copyPlan{}, fmt.Errorf("read header of submitted message: %w", err)
	}
	p := copyPlan{
		messageID:  mailheader.MessageID(header),
		outHeader:  mailheader.RemoveFields(header, "Bcc"),
		sentHeader: header,
		bodyAt:     int64(len(header)),
		chat:       len(mailheader.Values(header, "Chat-Version")) > 0,
	}
	if hidden := hiddenRecipients(header, rcpts); len(hidden) > 0 {
		// One address a line keeps lines short (RFC 5322 §2.1.1).
		p.sentHeader = mailheader.AddField(header, "Bcc: "+strings.Join(hidden, ","+mailheader.LineEnding(header)+" "))
	}
	return p, nil
}

// hiddenRecipients returns, as "<address>", the recipients that no To,
// Cc or Bcc field of header names. If one of those fields cannot be
// parsed it returns none rather than guess.
func hiddenRecipients(header []byte, rcpts []envelope.Address) []string {
	listed, err := mailheader.Addresses(header, "To", "Cc", "Bcc")
	if err != nil {
		return nil
	}
	shown := make(map[envelope.Address]bool, len(listed))
	for _, s := range listed {
		if a, err := envelope.ParseAddress(s); err == nil {
			shown[a] = true
		}
	}
	var hidden []string
	for _, r := range rcpts {
		if !shown[r] {
			hidden = append(hidden, "<"+r.String()+">")
		}
	}
	return hidden
}

// recipientCopy returns a reader for one recipient's copy.
func (p copyPlan) recipientCopy(spool io.ReaderAt, size int64) io.Reader {
	return io.MultiReader(bytes.NewReader(p.outHeader), io.NewSectionReader(spool, p.bodyAt, size-p.bodyAt))
}

// sharedBody reports whether the Sent copy is the recipients' copy (no
// Bcc field to add or remove), whose stored body it then shares
// (mailbox.SentCopy).
func (p copyPlan) sharedBody() bool { return bytes.Equal(p.sentHeader, p.outHeader) }

// sentMessage returns a reader for the Sent copy, or nil if it shares the
// recipients' copy (sharedBody).
func (p copyPlan) sentMessage(spool io.ReaderAt, size int64) io.Reader {
	if p.sharedBody() {
		return nil
	}
	return io.MultiReader(bytes.NewReader(p.sentHeader), io.NewSectionReader(spool, p.bodyAt, size-p.bodyAt))
}

// sentCopy returns the Sent copy (see copyPlan), msg, for the user's Sent
// mailbox (mailbox.Store.SentMailbox), flagged \Seen, keyed by
// mailbox.SentCopyKey so that a client which also APPENDs its own copy
// (Thunderbird, mutt) or submits the same message again still ends up
// with one copy.
//
// Messages of chat clients (Delta Chat and others that set Chat-Version)
// get no Sent copy (nil): those clients never read Sent, keep their own
// record by sending to themselves (bcc_self, which lands in INBOX), and a
// Sent mailbox nobody reads or cleans would grow with every chat message.
func (s *submitter) sentCopy(p copyPlan, msg io.Reader, opts mailbox.AppendOptions) *mailbox.SentCopy {
	if p.chat {
		s.log.Debug("no Sent copy for a chat client's message", "message_id", p.messageID)
		return nil
	}
	opts.Flags = []string{`\Seen`}
	if key, ok := mailbox.SentCopyKey(p.messageID); ok {
		opts.EnvelopeID = &key
	}
	return &mailbox.SentCopy{Body: msg, Options: opts}
}

// sentCopyStored tells what became of the Sent copy asked for, if any.
func (s *submitter) sentCopyStored(p copyPlan, asked *mailbox.SentCopy, sent mailbox.Kept) {
	switch {
	case asked == nil:
	case sent.Mailbox == "":
		s.warnNoSent()
	case sent.Duplicate:
		s.log.Info("Sent copy present already", "mailbox", sent.Mailbox, "message_id", p.messageID)
	default:
		s.log.Info("stored Sent copy", "mailbox", sent.Mailbox, "uid", sent.Message.UID, "message_id", p.messageID)
	}
}

// sentMailbox is the mailbox the node keeps Sent copies in
// (mailbox.Store.SentMailbox), or "" if there is none: the user deleted
// it, and then no copy is kept.
func (s *submitter) sentMailbox() (string, error) {
	name, err := s.store.SentMailbox()
	if err == nil && name == "" {
		s.warnNoSent()
	}
	return name, err
}

func (s *submitter) warnNoSent() {
	s.log.Warn("no Sent mailbox: the copy of the sent message is not kept; create one named Sent to keep copies")
}

package node

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/smtpd"
)

// copyPlan says how the copies of one submitted message are made. The
// sender's Sent copy is the message as submitted; every recipient's copy
// (the user's own INBOX copy included) has the same body after a header
// block without Bcc fields (RFC 5322 §3.6.3: Bcc recipients stay hidden).
type copyPlan struct {
	messageID string // the Message-ID value, "<…>"; "" if the message has none
	outHeader []byte // the header block of the recipients' copies
	bodyAt    int64  // offset of the body (after the header block) in the spool
	// chat is set for messages from chat clients such as Delta Chat
	// (a Chat-Version field): they get no Sent copy, see sentCopy.
	chat bool
}

// planCopies reads the header block of the spooled message.
func planCopies(spool io.ReaderAt, size int64) (copyPlan, error) {
	header, _, err := smtpd.ReadHeader(io.NewSectionReader(spool, 0, size), smtpd.DefaultMaxHeaderSize)
	if err != nil {
		return copyPlan{}, fmt.Errorf("read header of submitted message: %w", err)
	}
	return copyPlan{
		messageID: smtpd.MessageID(header),
		outHeader: smtpd.RemoveFields(header, "Bcc"),
		bodyAt:    int64(len(header)),
		chat:      len(smtpd.HeaderValues(header, "Chat-Version")) > 0,
	}, nil
}

// recipientCopy returns a reader for one recipient's copy.
func (p copyPlan) recipientCopy(spool io.ReaderAt, size int64) io.Reader {
	return io.MultiReader(bytes.NewReader(p.outHeader), io.NewSectionReader(spool, p.bodyAt, size-p.bodyAt))
}

// sentCopy stores the message as submitted, Bcc included, in the user's
// Sent mailbox, flagged \Seen, keyed by mailbox.SentCopyKey so that a
// client which also APPENDs its own copy (Thunderbird, mutt) or submits
// the same message again still ends up with one copy.
//
// Messages of chat clients (Delta Chat and others that set Chat-Version)
// get no Sent copy: those clients never read Sent, keep their own record
// by sending to themselves (bcc_self, which lands in INBOX), and a Sent
// mailbox nobody reads or cleans would grow with every chat message.
func (n *Node) sentCopy(p copyPlan, msg io.Reader, opts mailbox.AppendOptions) error {
	if p.chat {
		n.log.Debug("no Sent copy for a chat client's message", "message_id", p.messageID)
		return nil
	}
	name, err := n.sentMailbox()
	if err != nil || name == "" {
		return err
	}
	opts.Flags = []string{`\Seen`}
	if key, ok := mailbox.SentCopyKey(p.messageID); ok {
		opts.EnvelopeID = &key
	}
	m, dup, err := n.store.Append(name, msg, opts)
	if err != nil {
		return fmt.Errorf("store Sent copy in %q: %w", name, err)
	}
	if dup {
		n.log.Info("Sent copy present already", "mailbox", name, "message_id", p.messageID)
		return nil
	}
	n.log.Info("stored Sent copy", "mailbox", name, "uid", m.UID, "message_id", p.messageID)
	return nil
}

// sentMailbox is the mailbox with the \Sent special use (RFC 6154), or
// "Sent" if none has it, or "" if there is neither: the user deleted it,
// and then no copy is kept.
func (n *Node) sentMailbox() (string, error) {
	boxes, err := n.store.Mailboxes()
	if err != nil {
		return "", fmt.Errorf("find the Sent mailbox: %w", err)
	}
	fallback := ""
	for _, b := range boxes {
		if strings.EqualFold(b.SpecialUse, `\Sent`) {
			return b.Name, nil
		}
		if b.Name == mailbox.Sent {
			fallback = b.Name
		}
	}
	if fallback == "" {
		n.log.Warn("no Sent mailbox: the copy of the sent message is not kept; create one named Sent to keep copies")
	}
	return fallback, nil
}

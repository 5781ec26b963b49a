package imapserver

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/internal/imapwire"
)

func (c *Conn) handleExpunge(tag string, dec *imapwire.Decoder) error {
	if !dec.ExpectCRLF() {
		return dec.Err()
	}
	return c.expunge(tag, "EXPUNGE", nil)
}

func (c *Conn) handleUIDExpunge(tag string, dec *imapwire.Decoder) error {
	var uidSet imap.UIDSet
	if !dec.ExpectSP() || !dec.ExpectUIDSet(&uidSet) || !dec.ExpectCRLF() {
		return dec.Err()
	}
	return c.expunge(tag, "UID EXPUNGE", &uidSet)
}

// expunge runs EXPUNGE or UID EXPUNGE and writes its tagged OK, with the
// mailbox's HIGHESTMODSEQ once CONDSTORE is enabled (RFC 7162 3.1.12).
//
// yggpost patch: answers itself, with the tag and the command's name.
func (c *Conn) expunge(tag, name string, uids *imap.UIDSet) error {
	if err := c.checkState(imap.ConnStateSelected); err != nil {
		return err
	}
	w := &ExpungeWriter{conn: c}
	if err := c.session.Expunge(w, uids); err != nil {
		return err
	}
	if err := c.poll(name); err != nil {
		return err
	}
	return c.writeOK(tag, name, c.highestModSeqCode())
}

func (c *Conn) writeExpunge(seqNum uint32) error {
	enc := newResponseEncoder(c)
	defer enc.end()
	enc.Atom("*").SP().Number(seqNum).SP().Atom("EXPUNGE")
	return enc.CRLF()
}

// writeVanished writes "* VANISHED uids", or "* VANISHED (EARLIER) uids"
// when earlier is set (RFC 7162 3.2.10).
//
// yggpost patch: added.
func (c *Conn) writeVanished(uids imap.UIDSet, earlier bool) error {
	enc := newResponseEncoder(c)
	defer enc.end()
	enc.Atom("*").SP().Atom("VANISHED").SP()
	if earlier {
		enc.Atom("(EARLIER)").SP()
	}
	enc.NumSet(uids)
	return enc.CRLF()
}

// ExpungeWriter writes EXPUNGE updates.
type ExpungeWriter struct {
	conn *Conn
}

// WriteExpunge notifies the client that the message with the provided sequence
// number has been deleted.
func (w *ExpungeWriter) WriteExpunge(seqNum uint32) error {
	if w.conn == nil {
		return nil
	}
	return w.conn.writeExpunge(seqNum)
}

// WriteVanished notifies the client that the messages with the provided UIDs
// have been deleted, once QRESYNC is enabled (RFC 7162 3.2.10).
//
// yggpost patch: added.
func (w *ExpungeWriter) WriteVanished(uids imap.UIDSet) error {
	if w.conn == nil {
		return nil
	}
	return w.conn.writeVanished(uids, false)
}

package imapd

import (
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/mailbox"
)

// Fetch implements FETCH and UID FETCH (RFC 9051 6.4.5, RFC 3516 BINARY),
// with MODSEQ, CHANGEDSINCE and VANISHED (RFC 7162 3.1.4, 3.2.6).
// Fetching a body section without PEEK sets \Seen first, and the new
// FLAGS are part of the response. A message another session expunged is
// answered from what the store retains until this session is told
// (RFC 2180 4.1.1); its flags no longer change.
func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	ts, err := s.targets(numSet)
	if err != nil {
		return err
	}
	if options.Vanished {
		if gone := s.vanishedIn(numSet); len(gone) > 0 {
			if err := w.WriteVanishedEarlier(gone); err != nil {
				return err
			}
		}
	}
	ts = changedSince(ts, options.ChangedSince)
	seen := map[uint32]bool{}
	if setsSeen(options) && !s.sel.readOnly {
		if ts, seen, err = s.markSeen(ts); err != nil {
			return err
		}
	}
	if err := s.announceKeywords(); err != nil {
		return err
	}
	if options.Flags || options.ModSeq || len(seen) > 0 {
		s.sel.tracker.refreshReported(ts)
	}
	condStore := s.condStore()
	for _, t := range ts {
		if err := s.fetchOne(w, t, options, seen[t.msg.UID], condStore); err != nil {
			return err
		}
	}
	return nil
}

// setsSeen reports whether options fetch a body section without PEEK.
func setsSeen(options *imap.FetchOptions) bool {
	for _, bs := range options.BodySection {
		if !bs.Peek {
			return true
		}
	}
	for _, bs := range options.BinarySection {
		if !bs.Peek {
			return true
		}
	}
	return false
}

// markSeen adds \Seen to the targets that lack it and returns the targets
// with their new flags and the set of UIDs that changed. Like STORE, it
// goes through the hub so that this session gets no second FETCH of them.
func (s *session) markSeen(ts []target) ([]target, map[uint32]bool, error) {
	var uids []uint32
	for _, t := range ts {
		if !hasFlag(t.msg.Flags, mailbox.FlagSeen) {
			uids = append(uids, t.msg.UID)
		}
	}
	changed := map[uint32]bool{}
	if len(uids) == 0 {
		return ts, changed, nil
	}
	updated, err := s.sel.hub.storeFlags(s.sel.tracker, func() ([]mailbox.Message, error) {
		return s.sel.box.StoreFlags(uids, mailbox.FlagsAdd, []string{mailbox.FlagSeen})
	})
	if err != nil {
		return nil, nil, s.endReplaced("set \\Seen", err)
	}
	byUID := map[uint32]mailbox.Message{}
	for _, m := range updated {
		byUID[m.UID] = m
		changed[m.UID] = true
	}
	for i := range ts {
		if m, ok := byUID[ts[i].msg.UID]; ok {
			ts[i].msg = m
		}
	}
	return ts, changed, nil
}

// fetchOne writes the FETCH response of one message. Everything that can
// fail is prepared before the response starts, every stream of the message
// opened (content.hold): a selected mailbox renamed or deleted since the
// previous message ends the session there (endReplaced). A failure in the
// middle of a literal breaks the protocol, so the connection is closed then.
func (s *session) fetchOne(w *imapserver.FetchWriter, t target, options *imap.FetchOptions, flagsChanged, condStore bool) error {
	c := &content{box: s.sel.box, mailbox: s.sel.name, msg: t.msg}
	defer c.release()
	items, err := s.prepareItems(c, options)
	if err != nil {
		return err
	}
	rw := w.CreateMessage(t.seq)
	if options.UID {
		rw.WriteUID(imap.UID(t.msg.UID))
	}
	if options.Flags || flagsChanged {
		rw.WriteFlags(s.flagsOf(t.msg.UID, t.msg.Flags))
	}
	if options.ModSeq || (options.Flags || flagsChanged) && condStore {
		rw.WriteModSeq(t.msg.ModSeq)
	}
	if options.InternalDate {
		rw.WriteInternalDate(t.msg.InternalDate)
	}
	if options.RFC822Size {
		rw.WriteRFC822Size(t.msg.Size)
	}
	for _, it := range items {
		if err := it(rw); err != nil {
			s.log.Warn("fetch failed mid-response; closing connection", "uid", t.msg.UID, "err", err)
			s.conn.NetConn().Close()
			// Closing the writer releases the connection's response
			// encoder; imapserver would otherwise wait for it forever
			// to write the tagged response, and the session never end.
			_ = rw.Close() // fails: the connection is closed
			return fmt.Errorf("fetch message %d: %w", t.msg.UID, err)
		}
	}
	return rw.Close()
}

// item writes one prepared FETCH data item.
type item func(rw *imapserver.FetchResponseWriter) error

// prepareItems resolves ENVELOPE, BODYSTRUCTURE and the body sections of
// one message into writers of known size.
func (s *session) prepareItems(c *content, options *imap.FetchOptions) ([]item, error) {
	var items []item
	if options.Envelope {
		env, err := c.envelope()
		if err != nil {
			return nil, s.endReplaced("fetch envelope", err)
		}
		items = append(items, func(rw *imapserver.FetchResponseWriter) error { rw.WriteEnvelope(env); return nil })
	}
	if options.BodyStructure != nil {
		bs, err := s.structure(c)
		if err != nil {
			return nil, s.endReplaced("fetch body structure", err)
		}
		items = append(items, func(rw *imapserver.FetchResponseWriter) error { rw.WriteBodyStructure(bs); return nil })
	}
	for _, sec := range options.BodySection {
		it, err := bodySectionItem(c, sec)
		if err != nil {
			return nil, s.endReplaced("fetch body section", err)
		}
		items = append(items, it)
	}
	for _, sec := range options.BinarySection {
		it, err := binarySectionItem(c, sec)
		if err != nil {
			return nil, s.binaryError("fetch binary section", err)
		}
		items = append(items, it)
	}
	for _, sec := range options.BinarySectionSize {
		it, err := binarySizeItem(c, sec)
		if err != nil {
			return nil, s.binaryError("fetch binary size", err)
		}
		items = append(items, it)
	}
	return items, nil
}

// literalItem writes a body section whose bytes come from write.
func literalItem(sec *imap.FetchItemBodySection, size int64, write func(io.Writer) error) item {
	return func(rw *imapserver.FetchResponseWriter) error {
		wc := rw.WriteBodySection(sec, size)
		err := write(wc)
		if cerr := wc.Close(); err == nil {
			err = cerr
		}
		return err
	}
}

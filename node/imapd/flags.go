package imapd

import (
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/mailbox"
)

// Store implements STORE and UID STORE (RFC 9051 6.4.6): FLAGS, +FLAGS,
// -FLAGS, each optionally .SILENT. Other sessions learn of the change
// through the hub; this one gets its FETCH (FLAGS) here unless silent,
// after a FLAGS response if the change created a keyword. \Recent is the
// server's to set and is ignored (RFC 3501 2.3.2).
//
// Messages expunged by another session but not yet reported to this one
// cannot change (RFC 2180 4.2): .SILENT still ends with OK (4.2.1);
// otherwise the others are stored and reported and the command ends with
// NO [EXPUNGEISSUED] (4.2.2, 4.2.3; RFC 5530).
//
// With UNCHANGEDSINCE (RFC 7162 3.1.3) only the messages whose MODSEQ is
// not above it change, in one transaction; the others are named in the
// tagged OK's MODIFIED. Once CONDSTORE is enabled every FETCH carries the
// new MODSEQ, and .SILENT still sends one without FLAGS.
func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	if s.sel.readOnly {
		return noError(imap.ResponseCodeCannot, "mailbox is read-only (EXAMINE)")
	}
	ts, err := s.targets(numSet)
	if err != nil || len(ts) == 0 {
		return err
	}
	op, names := storeArgs(flags)
	var modified []uint32
	updated, err := s.sel.hub.storeFlags(s.sel.tracker, func() (updated []mailbox.Message, err error) {
		if !options.Conditional {
			return s.sel.box.StoreFlags(uidsOf(ts), op, names)
		}
		updated, modified, err = s.sel.box.StoreFlagsUnchangedSince(uidsOf(ts), op, names, options.UnchangedSince)
		return updated, err
	})
	if err != nil {
		return s.endReplaced("store flags", err)
	}
	if err := s.announceKeywords(); err != nil {
		return err
	}
	if len(modified) > 0 {
		_, byUID := numSet.(imap.UIDSet)
		ts = splitModified(ts, modified, byUID, w)
	}
	expunged, err := s.writeStored(w, ts, updated, flags.Silent)
	if err == nil && expunged && !flags.Silent {
		err = noError(responseCodeExpungeIssued, "some of the messages were expunged and cannot change")
	}
	return s.wrote(err)
}

// splitModified reports the targets a conditional STORE left alone
// (modified, by UID) in the command's MODIFIED, by UID or by sequence
// number, and returns the other targets.
func splitModified(ts []target, modified []uint32, byUID bool, w *imapserver.FetchWriter) (kept []target) {
	skip := make(map[uint32]bool, len(modified))
	for _, uid := range modified {
		skip[uid] = true
	}
	var seqs imap.SeqSet
	var uids imap.UIDSet
	for _, t := range ts {
		if !skip[t.msg.UID] {
			kept = append(kept, t)
			continue
		}
		seqs.AddNum(t.seq)
		uids.AddNum(imap.UID(t.msg.UID))
	}
	if byUID {
		w.ReportModified(uids)
	} else {
		w.ReportModified(seqs)
	}
	return kept
}

// storeArgs translates a STORE into the store's operation and flags,
// without \Recent.
func storeArgs(flags *imap.StoreFlags) (mailbox.FlagOp, []string) {
	op := map[imap.StoreFlagsOp]mailbox.FlagOp{
		imap.StoreFlagsAdd: mailbox.FlagsAdd, imap.StoreFlagsDel: mailbox.FlagsRemove, imap.StoreFlagsSet: mailbox.FlagsReplace,
	}[flags.Op]
	names := make([]string, 0, len(flags.Flags))
	for _, f := range flags.Flags {
		if !strings.EqualFold(string(f), string(flagRecent)) {
			names = append(names, string(f))
		}
	}
	return op, names
}

// writeStored writes the FETCH (FLAGS) of the targets the store updated,
// unless silent, and reports whether some target was expunged.
func (s *session) writeStored(w *imapserver.FetchWriter, ts []target, updated []mailbox.Message, silent bool) (expunged bool, err error) {
	byUID := make(map[uint32]mailbox.Message, len(updated))
	for _, m := range updated {
		byUID[m.UID] = m
	}
	condStore := s.condStore()
	for _, t := range ts {
		m, ok := byUID[t.msg.UID]
		expunged = expunged || !ok
		if !ok || silent && !condStore {
			continue
		}
		rw := w.CreateMessage(t.seq)
		rw.WriteUID(imap.UID(m.UID))
		if !silent {
			rw.WriteFlags(s.flagsOf(m.UID, m.Flags))
		}
		if condStore {
			rw.WriteModSeq(m.ModSeq)
		}
		if err := rw.Close(); err != nil {
			return expunged, err
		}
	}
	return expunged, nil
}

// responseCodeExpungeIssued says that another session expunged messages
// the command addressed (RFC 5530 3).
const responseCodeExpungeIssued imap.ResponseCode = "EXPUNGEISSUED"

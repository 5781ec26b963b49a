package imapd

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/yggpost/yggpost/mailbox"
)

// Store implements STORE and UID STORE (RFC 9051 6.4.6): FLAGS, +FLAGS,
// -FLAGS, each optionally .SILENT. Other sessions learn of the change
// through the hub; this one gets its FETCH (FLAGS) here unless silent.
func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, _ *imap.StoreOptions) error {
	if s.sel.readOnly {
		return noError(imap.ResponseCodeCannot, "mailbox is read-only (EXAMINE)")
	}
	ts, err := s.targets(numSet)
	if err != nil || len(ts) == 0 {
		return err
	}
	op := map[imap.StoreFlagsOp]mailbox.FlagOp{
		imap.StoreFlagsAdd: mailbox.FlagsAdd, imap.StoreFlagsDel: mailbox.FlagsRemove, imap.StoreFlagsSet: mailbox.FlagsReplace,
	}[flags.Op]
	names := make([]string, 0, len(flags.Flags))
	for _, f := range flags.Flags {
		if f != "\\Recent" {
			names = append(names, string(f))
		}
	}
	updated, err := s.sel.hub.storeFlags(s.sel.tracker, func() ([]mailbox.Message, error) {
		return s.srv.store.StoreFlags(s.sel.name, uidsOf(ts), op, names)
	})
	if err != nil {
		return storeError("store flags", err)
	}
	byUID := make(map[uint32]mailbox.Message, len(updated))
	for _, m := range updated {
		byUID[m.UID] = m
	}
	if flags.Silent {
		return nil
	}
	for _, t := range ts {
		m, ok := byUID[t.msg.UID]
		if !ok {
			continue // expunged meanwhile
		}
		rw := w.CreateMessage(t.seq)
		rw.WriteUID(imap.UID(m.UID))
		rw.WriteFlags(imapFlags(m.Flags))
		if err := rw.Close(); err != nil {
			return err
		}
	}
	return nil
}

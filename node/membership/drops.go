package membership

import (
	"context"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/peer"
)

// A member with several relays may find an envelope at each of them (the
// sender deposits at every relay it can reach). Once one relay handed it
// over, the others are told to drop their copies with DROP, in batches.
// This is an economy, not a guarantee: a relay that misses it hands its
// copy over later, the node answers "duplicate", and the relay deletes it
// then.
const (
	dropBatchWait = time.Second // gather ids this long before sending
	dropTimeout   = 20 * time.Second
)

type dropNote struct {
	via envelope.Address // the relay that handed the envelope over
	id  envelope.ID
}

// dropper sends DROP commands to a member's relays.
type dropper struct {
	notes chan dropNote
}

func newDropper() *dropper { return &dropper{notes: make(chan dropNote, 1024)} }

// add notes that id was handed over by via; it never blocks (a full
// buffer drops the note, which costs only the economy).
func (d *dropper) add(via envelope.Address, id envelope.ID) {
	select {
	case d.notes <- dropNote{via, id}:
	default:
	}
}

// run gathers notes and sends each relay the ids it should drop.
func (d *dropper) run(ctx context.Context, m *Membership) {
	for {
		var batch []dropNote
		select {
		case <-ctx.Done():
			return
		case note := <-d.notes:
			batch = append(batch, note)
		}
		timer := time.NewTimer(dropBatchWait)
	gather:
		for len(batch) < peer.MaxDropIDs {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case note := <-d.notes:
				batch = append(batch, note)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		for _, r := range m.Relays() {
			if ids := idsNotVia(batch, r); len(ids) > 0 {
				if err := m.sendDrop(ctx, r, ids); err != nil {
					m.log.Debug("tell relay to drop copies", "relay", r.String(), "ids", len(ids), "err", err)
				}
			}
		}
	}
}

// idsNotVia returns the ids of notes handed over by relays other than r.
func idsNotVia(batch []dropNote, r envelope.Address) []envelope.ID {
	var ids []envelope.ID
	for _, note := range batch {
		if note.via != r {
			ids = append(ids, note.id)
		}
	}
	return ids
}

// sendDrop opens a short session to relay r and sends DROP.
func (m *Membership) sendDrop(ctx context.Context, r envelope.Address, ids []envelope.ID) error {
	ctx, cancel := context.WithTimeout(ctx, dropTimeout)
	defer cancel()
	sc, err := m.opts.Dialer.Open(ctx, r, dropTimeout)
	if err != nil {
		return err
	}
	defer sc.Quit(ctx)
	return sc.Drop(ctx, ids)
}

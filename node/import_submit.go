package node

import (
	"io"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// queueSent queues msg, whose Sent copy exists already (an imported
// message), for the recipients to: the recipients' half of Submit, with
// the same spool, copies and envelope ids, and no Sent copy. Queueing the
// same message again queues nothing twice while it waits (see
// mailbox.Store.Submit).
func (s *submitter) queueSent(to []envelope.Address, msg io.Reader) error {
	a, err := arrive(msg, s.maxSize)
	if err != nil {
		return err
	}
	spool, size, plan, err := spoolAndPlan(a, to)
	if err != nil {
		return err
	}
	defer spool.discard()
	queued, err := s.recipientCopies(plan, to, spool, size, time.Now())
	for _, row := range queued {
		s.deliver(row)
	}
	return err
}

package mailbox

import (
	"io"
	"time"
)

// Outbound describes one sealed envelope waiting for delivery.
type Outbound struct {
	ID          [16]byte // envelope id
	Recipient   [32]byte // recipient's ed25519 public key
	Size        int64    // body size; set by Enqueue
	Created     time.Time
	NextAttempt time.Time
	Attempts    int
	LastError   string
}

// Enqueue stores a sealed envelope in the outbox. It returns once the
// envelope is durable. The outbox is bounded by Options.MaxOutboxCount and
// MaxOutboxBytes (ErrOutboxFull); an id already queued gives ErrExists.
func (s *Store) Enqueue(o Outbound, sealed io.Reader) error {
	return errNotImplemented
}

// Outbox lists the queued envelopes ordered by NextAttempt.
func (s *Store) Outbox() ([]Outbound, error) {
	return nil, errNotImplemented
}

// OpenOutbound streams the sealed envelope id. The caller must Close it.
func (s *Store) OpenOutbound(id [16]byte) (io.ReadCloser, error) {
	return nil, errNotImplemented
}

// UpdateOutbound records a failed delivery attempt of id.
func (s *Store) UpdateOutbound(id [16]byte, attempts int, next time.Time, lastErr string) error {
	return errNotImplemented
}

// DeleteOutbound removes id from the outbox, once its delivery has been
// acknowledged.
func (s *Store) DeleteOutbound(id [16]byte) error {
	return errNotImplemented
}

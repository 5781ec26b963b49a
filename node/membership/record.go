package membership

import (
	"fmt"
	"sync"
	"time"

	"github.com/yggpost/yggpost/relay"
)

// recordLifetime is how long the node's own relay record is valid; a new
// one is signed at every start and once every recordRenewal.
const (
	recordLifetime = 30 * 24 * time.Hour
	recordRenewal  = 24 * time.Hour
)

// ownRecord is the node's own signed relay record.
type ownRecord struct {
	mu   sync.Mutex
	wire []byte // nil when the node has no relays
}

// Record returns the wire form of the node's current relay record, or nil
// if it has no relays.
func (m *Membership) Record() []byte {
	m.record.mu.Lock()
	defer m.record.mu.Unlock()
	return m.record.wire
}

// signRecord signs a fresh record naming the member's relays. Its sequence
// number is the signing time in nanoseconds, so a record signed later
// always replaces an earlier one.
func (m *Membership) signRecord(now time.Time) error {
	relays := m.Relays()
	if len(relays) == 0 {
		m.record.mu.Lock()
		m.record.wire = nil
		m.record.mu.Unlock()
		return nil
	}
	rec, err := relay.NewRecord(m.opts.Key, relays, uint64(now.UnixNano()), now.Add(recordLifetime))
	if err != nil {
		return fmt.Errorf("sign relay record: %w", err)
	}
	wire, err := rec.MarshalBinary()
	if err != nil {
		return fmt.Errorf("sign relay record: %w", err)
	}
	m.record.mu.Lock()
	m.record.wire = wire
	m.record.mu.Unlock()
	return nil
}

func (m *Membership) renewRecord() {
	if err := m.signRecord(time.Now()); err != nil {
		m.log.Error("renew relay record", "err", err)
	}
}

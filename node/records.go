package node

import (
	"fmt"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/relay"
)

// recordLifetime is how long the node's own relay record is valid; the
// node signs a new one at every start and once a day.
const recordLifetime = 30 * 24 * time.Hour

// ownRecord is the node's own signed relay record, renewed by the node.
type ownRecord struct {
	mu   sync.Mutex
	wire []byte // nil when the node has no relays
}

func (o *ownRecord) get() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.wire
}

func (o *ownRecord) set(wire []byte) {
	o.mu.Lock()
	o.wire = wire
	o.mu.Unlock()
}

// signRecord signs a fresh record naming the configured relays. Its
// sequence number is the signing time in nanoseconds, so a record signed
// later always replaces an earlier one.
func (n *Node) signRecord() error {
	if len(n.cfg.Relays) == 0 {
		return nil
	}
	relays := make([]envelope.Address, len(n.cfg.Relays))
	for i, r := range n.cfg.Relays {
		relays[i] = r.Address
	}
	now := time.Now()
	rec, err := relay.NewRecord(n.key, relays, uint64(now.UnixNano()), now.Add(recordLifetime))
	if err != nil {
		return fmt.Errorf("sign relay record: %w", err)
	}
	wire, err := rec.MarshalBinary()
	if err != nil {
		return fmt.Errorf("sign relay record: %w", err)
	}
	n.record.set(wire)
	return nil
}

// recordSource answers RELAYS queries: this node's own record, and, on a
// relay, its members' records.
type recordSource struct{ n *Node }

func (s recordSource) Record(a envelope.Address) ([]byte, bool) {
	n := s.n
	if a == n.addr {
		wire := n.record.get()
		return wire, wire != nil
	}
	if n.relay == nil {
		return nil, false
	}
	rec, ok, err := n.relay.RecordOf(a)
	if err != nil || !ok {
		return nil, false
	}
	wire, err := rec.MarshalBinary()
	return wire, err == nil
}

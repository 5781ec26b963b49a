package node

import (
	"github.com/yggpost/yggpost/envelope"
)

// recordSource answers RELAYS queries: this node's own record, and, on a
// relay, its members' records.
type recordSource struct{ n *Node }

func (s recordSource) Record(a envelope.Address) ([]byte, bool) {
	n := s.n
	if a == n.addr {
		wire := n.members.Record()
		return wire, wire != nil
	}
	if n.role == nil {
		return nil, false
	}
	return n.role.Record(a)
}

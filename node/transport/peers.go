package transport

import (
	"crypto/ed25519"
	"time"
)

// PeerInfo describes one peering link of this node.
type PeerInfo struct {
	Key       ed25519.PublicKey // nil until the link's handshake is done
	URI       string
	Up        bool
	Inbound   bool
	Uptime    time.Duration
	Latency   time.Duration
	LastError string // why the link last went down, "" if none
}

// Peers lists the node's peering links, configured, discovered and inbound.
// It is meant for status pages, not for polling: yggdrasil's peer query has a
// (benign, latency-only) data race inside ironwood that -race reports.
func (m *Mesh) Peers() []PeerInfo {
	var out []PeerInfo
	for _, p := range m.core.GetPeers() {
		info := PeerInfo{
			URI:     p.URI,
			Up:      p.Up,
			Inbound: p.Inbound,
			Uptime:  p.Uptime,
			Latency: p.Latency,
		}
		if len(p.Key) == ed25519.PublicKeySize {
			info.Key = append(ed25519.PublicKey(nil), p.Key...)
		}
		if p.LastError != nil {
			info.LastError = p.LastError.Error()
		}
		out = append(out, info)
	}
	return out
}

// linkUp is called by yggdrasil's core (inside its actors, so it must not
// block) when a peering link comes up: anything may be reachable now.
func (m *Mesh) linkUp() {
	m.log.Debug("new peering link; everything may be reachable")
	m.linksUp.Add(1)
	m.linkChanged()
	m.reach.add(nil)
	m.wake.signal(nil)
}

// linkDown is called by yggdrasil's core, as linkUp is, when a link that
// came up has ended.
func (m *Mesh) linkDown() {
	m.log.Debug("peering link down")
	m.linksUp.Add(-1)
	m.linkChanged()
}

func (m *Mesh) linkChanged() {
	select {
	case m.linkEvent <- struct{}{}:
	default:
	}
}

// LinksUp returns the number of peering links up now: configured,
// multicast and inbound alike.
func (m *Mesh) LinksUp() int { return int(m.linksUp.Load()) }

// LinkChanges receives a value after a peering link came up or went down;
// changes that come faster than they are read are coalesced, so read
// LinksUp for the count. The channel is never closed.
func (m *Mesh) LinkChanges() <-chan struct{} { return m.linkEvent }

package transport

import (
	"crypto/ed25519"
	"encoding/hex"
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

// peerWatchInterval is how often the node looks for new peering links.
// GetPeers is a local, cheap query; yggdrasil offers no event for it.
const peerWatchInterval = 250 * time.Millisecond

// watchPeers emits a "retry all" (nil) and the peer's own key whenever a
// peering link comes up, or comes back (its uptime went down).
func (m *Mesh) watchPeers() {
	defer m.wg.Done()
	tick := time.NewTicker(peerWatchInterval)
	defer tick.Stop()
	known := map[string]time.Duration{}
	for {
		select {
		case <-m.done:
			return
		case <-tick.C:
		}
		current := map[string]time.Duration{}
		fresh := false
		for _, p := range m.core.GetPeers() {
			if !p.Up || len(p.Key) != ed25519.PublicKeySize {
				continue
			}
			id := p.URI + "|" + hex.EncodeToString(p.Key)
			current[id] = p.Uptime
			if prev, ok := known[id]; !ok || p.Uptime < prev {
				fresh = true
				m.reach.add(p.Key)
			}
		}
		known = current
		if fresh {
			m.log.Debug("new peering link; everything may be reachable")
			m.reach.add(nil)
		}
	}
}

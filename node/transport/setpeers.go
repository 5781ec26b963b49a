package transport

import (
	"fmt"
	"net/url"
	"slices"
)

// SetPeers replaces the configured peering links with urls: links that are
// no longer named are dropped from the list the core keeps up (it closes
// them when they next fail), new ones are dialled at once. Nothing changes
// if any URL is malformed. Inbound and multicast links are not affected.
func (m *Mesh) SetPeers(urls []string) error {
	want := make([]*url.URL, 0, len(urls))
	for _, s := range urls {
		u, err := ParsePeerURL(s)
		if err != nil {
			return err
		}
		want = append(want, u)
	}
	m.peersMu.Lock()
	defer m.peersMu.Unlock()
	for _, old := range m.peers {
		if !slices.ContainsFunc(want, func(u *url.URL) bool { return u.String() == old.String() }) {
			if err := m.core.RemovePeer(old, ""); err != nil {
				m.log.Debug("remove peer", "peer", old.String(), "err", err)
			}
		}
	}
	for _, u := range want {
		if slices.ContainsFunc(m.peers, func(old *url.URL) bool { return old.String() == u.String() }) {
			continue
		}
		if err := m.core.AddPeer(u, ""); err != nil {
			return fmt.Errorf("add peer %q: %w", u.String(), err)
		}
	}
	m.peers = want
	return nil
}

// RetryPeers dials every configured peering link that is down now, instead
// of at the end of its backoff: the network changed (Wi-Fi to mobile data,
// a laptop woke up).
func (m *Mesh) RetryPeers() { m.core.RetryPeersNow() }

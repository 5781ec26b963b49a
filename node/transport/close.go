package transport

import (
	"crypto/ed25519"
	"fmt"
)

// PublicKey is this node's key, the user's address.
func (m *Mesh) PublicKey() ed25519.PublicKey { return m.self }

// ListenAddrs reports the bound addresses of the configured listeners, e.g.
// "tcp://127.0.0.1:41233".
func (m *Mesh) ListenAddrs() []string {
	out := make([]string, 0, len(m.listeners))
	for _, b := range m.listeners {
		out = append(out, b.scheme+"://"+b.l.Addr().String())
	}
	return out
}

// Close says goodbye on open QUIC connections, then stops QUIC, multicast,
// the listeners and the core, in that order, and waits for the Mesh's
// goroutines (all but the one blocked in yggquic's Accept, see package doc).
// It is safe to call more than once.
func (m *Mesh) Close() error {
	m.closeOnce.Do(func() {
		close(m.done)
		m.cancel()
		m.wg.Wait()
		if !m.noGoodbye {
			m.conns.closeAll("node shutting down")
		}
		m.closeErr = m.stopParts()
		m.log.Debug("mesh stopped")
	})
	return m.closeErr
}

// stopParts stops whatever start managed to start, in reverse order.
func (m *Mesh) stopParts() error {
	var err error
	if m.quic != nil {
		if e := m.quic.Close(); e != nil {
			err = fmt.Errorf("close quic: %w", e)
		}
	}
	if m.mcast != nil {
		if e := m.mcast.Stop(); e != nil && err == nil {
			err = fmt.Errorf("stop multicast: %w", e)
		}
	}
	for _, b := range m.listeners {
		b.l.Cancel()
	}
	if m.core != nil {
		m.core.Stop()
	}
	return err
}

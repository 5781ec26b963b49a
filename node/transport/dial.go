package transport

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	iwn "github.com/Arceliar/ironwood/network"
)

// Dial timing. A QUIC handshake attempt that hears nothing for
// dialAttemptTimeout fails; the next waits a backoff that doubles from
// dialBackoffMin to dialBackoffMax. While an attempt waits, the key is
// looked up again every dialProbeInterval (see dialOnce).
const (
	dialAttemptTimeout = 5 * time.Second
	dialBackoffMin     = 100 * time.Millisecond
	dialBackoffMax     = time.Second
	dialProbeInterval  = 100 * time.Millisecond
)

// Dial opens a stream to the node with public key to, retrying with backoff
// (and asking the mesh for a path) until ctx ends or the Mesh closes. The
// returned conn is a *Stream. The receiver only sees the stream once the
// caller has written its first byte (the node protocol's leading space).
func (m *Mesh) Dial(ctx context.Context, to ed25519.PublicKey) (net.Conn, error) {
	if len(to) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("dial: key must be %d bytes, got %d", ed25519.PublicKeySize, len(to))
	}
	if to.Equal(m.self) {
		return nil, fmt.Errorf("dial %x: that is this node's own key", []byte(to))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(m.ctx, cancel)
	defer stop()

	backoff := dialBackoffMin
	for attempt := 1; ; attempt++ {
		c, err := m.dialOnce(ctx, to)
		if err == nil {
			m.conns.track(to, c)
			return &Stream{Conn: c, peer: append(ed25519.PublicKey(nil), to...), conns: m.conns}, nil
		}
		m.log.Debug("dial attempt failed", "peer", hex.EncodeToString(to), "attempt", attempt, "err", err)
		if errors.Is(err, errPathFound) {
			continue
		}
		m.Probe(to)
		select {
		case <-ctx.Done():
			return nil, m.dialError(to, attempt, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, dialBackoffMax)
	}
}

// dialOnce makes one attempt. It is abandoned early when the mesh reports a
// new path to the key or a new link, because the handshake packets sent so
// far were probably lost and QUIC would only resend them after its backoff.
//
// The handshake is sent at once, path or not, and while it waits the key is
// looked up every dialProbeInterval (the mesh sends at most one lookup per
// key a second and drops the rest). Without that, lookups go out only with
// QUIC's own resends, at 0, 0.2, 0.6, 1.4 and 3 s of an attempt: on a line
// that has just come up, those made before the spanning tree formed (one to
// three of the mesh's once-a-second routing rounds) are lost, and a tree
// that formed just after the 3 s resend left the attempt deaf until its
// 5 s timeout. A lookup that reaches the key also makes its node look this
// node up (see answerLookup), which the first contact may need.
func (m *Mesh) dialOnce(ctx context.Context, to ed25519.PublicKey) (net.Conn, error) {
	woken, unregister := m.wake.register(to)
	defer unregister()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		tick := time.NewTicker(dialProbeInterval)
		defer tick.Stop()
		for {
			select {
			case <-woken:
				cancel(errPathFound)
				return
			case <-tick.C:
				m.Probe(to)
			case <-ctx.Done():
				return
			}
		}
	}()
	c, err := m.quic.DialContext(ctx, "yggdrasil", hex.EncodeToString(to))
	if err != nil && errors.Is(context.Cause(ctx), errPathFound) {
		return nil, errPathFound
	}
	return c, err
}

var errPathFound = errors.New("new path found during handshake; retrying")

func (m *Mesh) dialError(to ed25519.PublicKey, attempts int, last error) error {
	if m.ctx.Err() != nil {
		return fmt.Errorf("dial %x: %w", []byte(to), ErrClosed)
	}
	return fmt.Errorf("dial %x: no stream after %d attempts: %w", []byte(to), attempts, last)
}

// Probe asks the mesh to look for a path to key. If one is found (new, or
// changed since last known) the key arrives on Reachable. It is cheap and
// rate-limited by yggdrasil (one lookup per key per second); call it after
// a failed delivery, not in a tight loop. A key whose path is already known
// and unchanged produces no event.
func (m *Mesh) Probe(key ed25519.PublicKey) {
	if len(key) != ed25519.PublicKeySize || m.ctx.Err() != nil {
		return
	}
	m.core.SendLookup(key)
}

// answerLookup is called by the mesh's router, inside its actor (so it must
// not block), for every path lookup that passes through or starts at this
// node. A lookup for this node's own key from another node means that node
// is trying to reach us, so we look it up in turn.
//
// That breaks a deadlock of the first contact. The dialer's first packet
// for a node it has no encrypted session with is a session init, and every
// packet it sends until the session is up repeats that same init, with the
// same sequence number. The receiver answers the first init it gets by
// creating its side of the session and sending an acknowledgement; if it
// has no path back to the dialer yet, the acknowledgement is held until a
// lookup for the dialer succeeds. When that lookup is made before the
// spanning tree has formed at the receiver, it is lost, and nothing sends
// another: the receiver ignores the repeated inits (not newer than the
// one it answered) and has no traffic of its own for the dialer. Both
// sides then wait until the receiver's half session expires after a
// minute; every QUIC handshake in between hears nothing. The dialer's
// lookups (see dialOnce) still reach us, and our lookup for the dialer
// releases the held acknowledgement.
func (m *Mesh) answerLookup(info iwn.DebugLookupInfo) {
	if len(info.Key) != ed25519.PublicKeySize || !info.Target.Equal(m.self) || info.Key.Equal(m.self) {
		return
	}
	m.Probe(info.Key)
}

// Reachable delivers keys that may be reachable now, and nil meaning that
// anything may be reachable now (a new peering link came up). Events are
// coalesced; a slow reader loses no key but may get a nil instead of many
// keys. The channel is closed by Close.
func (m *Mesh) Reachable() <-chan ed25519.PublicKey { return m.reach.out }

// Accept waits for the next incoming stream and reports the sender's key.
// The conn is a *Stream. After Close it returns ErrClosed.
func (m *Mesh) Accept() (net.Conn, ed25519.PublicKey, error) {
	select {
	case s := <-m.incoming:
		return s, s.peer, nil
	case <-m.done:
		return nil, nil, ErrClosed
	}
}

// acceptLoop hands streams from yggquic to Accept. yggquic's Accept cannot
// be interrupted, so after Close this goroutine stays blocked in it.
func (m *Mesh) acceptLoop() {
	for {
		c, err := m.quic.Accept()
		if err != nil || c == nil {
			return
		}
		key, err := remoteKey(c)
		if err != nil {
			m.log.Warn("refusing incoming stream", "err", err)
			_ = c.Close() // refusing it; nothing else to do
			continue
		}
		m.conns.track(key, c)
		select {
		case m.incoming <- &Stream{Conn: c, peer: key, conns: m.conns}:
		case <-m.done:
			_ = c.Close() // shutting down
			return
		}
	}
}

// remoteKey extracts the sender's key from a stream's remote address, which
// yggquic has already checked against the peer's certificate.
func remoteKey(c net.Conn) (ed25519.PublicKey, error) {
	addr := c.RemoteAddr()
	if addr == nil {
		return nil, errors.New("stream has no remote address")
	}
	b, err := hex.DecodeString(addr.String())
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("remote address %q is not a public key", addr.String())
	}
	return ed25519.PublicKey(b), nil
}

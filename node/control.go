package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/control"
)

// ErrNotRunning is returned by the calls that need a running node before
// Ready is closed or once Run is shutting down.
var ErrNotRunning = errors.New("the node is not running")

// whileRunning runs fn with the parts of a running node, which stay up
// until fn returns; it returns ErrNotRunning instead when there are none.
func (n *Node) whileRunning(fn func() error) error {
	n.life.RLock()
	defer n.life.RUnlock()
	if !n.running() || n.stopping {
		return ErrNotRunning
	}
	return fn()
}

// SetPeers replaces the node's Yggdrasil peers while it runs; the mail
// clients' IMAP and SMTP sessions and every stream stay up. A malformed
// URL changes nothing. (Config.Peers holds the peers it started with.)
func (n *Node) SetPeers(peers []string) error {
	return n.whileRunning(func() error {
		if err := n.mesh.SetPeers(peers); err != nil {
			return fmt.Errorf("-peer: %w", err)
		}
		n.log.Info("peers replaced", "peers", peers)
		return nil
	})
}

// SetRelays replaces the user's relays while the node runs: sessions with
// relays no longer named end, new ones open at once, and the node's relay
// record names the new list from the next envelope on. The list is checked
// as -relays is.
func (n *Node) SetRelays(relays []RelayRef) error {
	check := Config{Relays: relays}
	if err := check.validateRelays(); err != nil {
		return err
	}
	if err := notSelf(relays, n.addr); err != nil {
		return err
	}
	return n.whileRunning(func() error {
		if err := n.members.SetRelays(relays); err != nil {
			return err
		}
		n.log.Info("relays replaced", "relays", len(relays))
		return nil
	})
}

// NetworkChanged tells the node that the device's network changed (Wi-Fi
// to mobile data, a laptop waking up): it redials its peers now and at once
// retries everything that waits for another node — queued mail, relay
// sessions (so mail a relay holds comes in), forwarding and greetings.
func (n *Node) NetworkChanged() error {
	return n.whileRunning(func() error {
		n.log.Info("network changed: redialling peers, retrying now")
		n.mesh.RetryPeers()
		n.events.everythingMayBeReachable()
		return nil
	})
}

// Status is a running node's state at one moment.
type Status struct {
	Address      string      `json:"address"`
	Peers        []PeerState `json:"peers"`
	Relays       []string    `json:"relays"`        // the user's relays
	RelaysOpen   int         `json:"relays_open"`   // of those, sessions open now
	Queued       int         `json:"queued"`        // messages waiting for a recipient
	InCustody    int         `json:"in_custody"`    // of those, held by a relay
	OldestQueued time.Time   `json:"oldest_queued"` // zero if none
}

// PeerState is one peering link.
type PeerState struct {
	URI     string        `json:"uri"`
	Up      bool          `json:"up"`
	Inbound bool          `json:"inbound"`
	Latency time.Duration `json:"latency_ns"`
	Error   string        `json:"error,omitempty"`
}

// Status reports the peers, relay sessions and outbox of a running node.
func (n *Node) Status() (Status, error) {
	st := Status{Address: n.addr.String()}
	err := n.whileRunning(func() error {
		for _, p := range n.mesh.Peers() {
			st.Peers = append(st.Peers, PeerState{URI: p.URI, Up: p.Up, Inbound: p.Inbound, Latency: p.Latency, Error: p.LastError})
		}
		st.Relays = addressStrings(n.members.Relays())
		st.RelaysOpen = n.members.Open()
		rows, err := n.store.Outbox()
		if err != nil {
			return fmt.Errorf("read the outbox: %w", err)
		}
		for _, row := range rows {
			st.Queued++
			if !row.Custody.IsZero() {
				st.InCustody++
			}
			if st.OldestQueued.IsZero() || row.Created.Before(st.OldestQueued) {
				st.OldestQueued = row.Created
			}
		}
		return nil
	})
	return st, err
}

func addressStrings(as []envelope.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// buildControl opens the control socket, if the node serves one, with its
// commands:
//
//	backup   the backup file of the node's databases (Backup)
//	address  the node's mail address, one line
func (n *Node) buildControl() error {
	if !n.cfg.Control {
		return nil
	}
	ctl, err := control.Listen(control.SocketPath(n.cfg.Database), n.log.With("component", "control"))
	if err != nil {
		return err
	}
	ctl.Handle("backup", func(_ context.Context, _ map[string]string, w io.Writer) error {
		return n.Backup(w)
	})
	ctl.Handle("address", func(_ context.Context, _ map[string]string, w io.Writer) error {
		_, err := fmt.Fprintln(w, n.addr.String())
		return err
	})
	n.ctl = ctl
	return nil
}

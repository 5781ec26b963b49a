package node

import (
	"context"
	"crypto/ed25519"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/periodic"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/membership"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/node/peerbook"
	"github.com/yggpost/yggpost/node/relayrole"
	"github.com/yggpost/yggpost/node/transport"
)

// meshEvents turns evidence that another node may be reachable — a path
// or a peering link the mesh reports, a stream the node opened to us —
// into immediate retries of what waits for it: queued mail, relay
// sessions, forwarding, and a round of greetings after a new link. It
// also asks the mesh, every probeInterval while mail waits for a node or a
// relay session is down with a link up, for paths to those nodes, so that
// the mesh has something to report; with nothing waiting it asks nothing
// and sleeps.
type meshEvents struct {
	mesh     *transport.Mesh
	store    *mailbox.Store
	book     *peerbook.Book
	queue    *outbox.Queue
	members  *membership.Membership
	role     *relayrole.Role // nil unless the node is a relay
	greeter  *announcer
	observer Observer
	// waiting wakes the prober: the queue or the forwarder found mail
	// waiting for a path. Buffer one.
	waiting chan struct{}
}

// mailWaits tells the prober that mail waits for a path; it never blocks.
func (ev *meshEvents) mailWaits() {
	select {
	case ev.waiting <- struct{}{}:
	default:
	}
}

// runProber probes as soon as mail waits for a path and then every
// probeInterval while some still does, and sleeps until mailWaits when
// none does, until ctx ends.
func (ev *meshEvents) runProber(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ev.waiting:
		}
		if ev.probe() {
			periodic.While(ctx, probeInterval, ev.probe)
		}
	}
}

// reached notes that from opened a stream to us: a node that reaches us
// can probably be reached.
func (ev *meshEvents) reached(from envelope.Address) {
	ev.book.Reachable(from)
	ev.queue.Retry(from)
	ev.role.Kick()
}

// everythingMayBeReachable retries at once everything that waits for
// another node: a peering link came up, or the device's network changed.
func (ev *meshEvents) everythingMayBeReachable() {
	ev.book.AllReachable()
	ev.queue.RetryAll()
	ev.greeter.Kick()
	ev.members.Kick()
	ev.role.Kick()
}

// connectivity tells the observer how many peering links are up and how
// many relay sessions are open; it runs when a link comes up or goes down
// and when a relay session opens or ends. With a link up and a relay
// session down it wakes the prober, which then looks for the relay: a
// relay that appears on the mesh without a change of our links is found
// that way, and the path found kicks its waiting session (follow).
func (ev *meshEvents) connectivity() {
	links, open := ev.mesh.LinksUp(), ev.members.Open()
	ev.observer.Connectivity(links, open)
	if links > 0 && open < len(ev.members.Relays()) {
		ev.mailWaits()
	}
}

// follow turns the mesh's reachability events into retries until ctx
// ends.
func (ev *meshEvents) follow(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ev.mesh.LinkChanges():
			ev.connectivity()
		case key, ok := <-ev.mesh.Reachable():
			if !ok {
				return
			}
			if key == nil { // a peering link came up
				ev.everythingMayBeReachable()
				continue
			}
			if a, err := envelope.AddressFromKey(key); err == nil {
				ev.book.Reachable(a)
				ev.queue.Retry(a)
				if ev.members.IsRelay(a) {
					ev.members.Kick()
				}
				ev.role.Kick()
			}
		}
	}
}

// probe asks the mesh for paths to recipients with queued mail, to the
// user's relays whose session is down while a link is up, and on a relay
// to recipients of envelopes held for forwarding. It reports whether there
// were any.
func (ev *meshEvents) probe() bool {
	seen := map[envelope.Address]bool{}
	probe := func(a envelope.Address) {
		if !seen[a] && len(seen) < 1024 {
			seen[a] = true
			ev.mesh.Probe(ed25519.PublicKey(a[:]))
		}
	}
	if rows, err := ev.store.Outbox(); err == nil {
		for _, r := range rows {
			if r.Custody.IsZero() {
				probe(r.Recipient)
			}
		}
	}
	if ev.mesh.LinksUp() > 0 {
		for _, st := range ev.members.States() {
			if !st.Open {
				probe(st.Address)
			}
		}
	}
	if ev.role != nil {
		if to, err := ev.role.ForwardingTo(); err == nil {
			for _, a := range to {
				probe(a)
			}
		}
	}
	return len(seen) > 0
}

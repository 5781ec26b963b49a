package node

import (
	"context"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// Announcing: a node that comes online, or gets a new peering link, opens a
// short session (greeting, EHLO, QUIT) to each recent correspondent. A node
// that holds mail for us treats any incoming stream from us as proof that we
// are reachable and delivers at once, so mail waiting for a node that was
// offline arrives within seconds of its return, without anyone polling —
// also when the two nodes are not peered directly and the mesh itself has no
// event to report.
const (
	announceEvery       = 30 * time.Second // at most one round per interval
	announceConcurrency = 4
	announceTimeout     = 15 * time.Second // per correspondent, including the first dial
)

// announcer runs rounds of announcements when kicked, one at a time.
func (n *Node) announcer(ctx context.Context, kick <-chan struct{}) {
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		if wait := time.Until(last.Add(announceEvery)); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		last = time.Now()
		n.announce(ctx, n.book.Correspondents())
	}
}

// kickAnnounce asks for a round of announcements; it never blocks.
func (n *Node) kickAnnounce() {
	select {
	case n.announceKick <- struct{}{}:
	default:
	}
}

// announce greets each address, a few at a time, and waits for all.
func (n *Node) announce(ctx context.Context, to []envelope.Address) {
	sem := make(chan struct{}, announceConcurrency)
	var wg sync.WaitGroup
	for _, a := range to {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := n.greet(ctx, a); err != nil {
				n.log.Debug("announce", "to", a.String(), "err", err)
			}
		}()
	}
	wg.Wait()
}

func (n *Node) greet(ctx context.Context, a envelope.Address) error {
	ctx, cancel := context.WithTimeout(ctx, announceTimeout)
	defer cancel()
	sc, err := n.dialer.Open(ctx, a, announceTimeout)
	if err != nil {
		return err
	}
	return sc.Quit(ctx)
}

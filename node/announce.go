package node

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/node/peerbook"
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

// announcer greets the recent correspondents in rounds.
type announcer struct {
	book   *peerbook.Book
	dialer *peer.Dialer
	kick   chan struct{}
	log    *slog.Logger
}

// run runs rounds of announcements when kicked, one at a time, until ctx
// ends.
func (an *announcer) run(ctx context.Context) {
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-an.kick:
		}
		if wait := time.Until(last.Add(announceEvery)); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		last = time.Now()
		an.announce(ctx, an.book.Correspondents())
	}
}

// Kick asks for a round of announcements; it never blocks.
func (an *announcer) Kick() {
	select {
	case an.kick <- struct{}{}:
	default:
	}
}

// announce greets each address, a few at a time, and waits for all.
func (an *announcer) announce(ctx context.Context, to []envelope.Address) {
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
			if err := an.greet(ctx, a); err != nil {
				an.log.Debug("announce", "to", a.String(), "err", err)
			}
		}()
	}
	wg.Wait()
}

func (an *announcer) greet(ctx context.Context, a envelope.Address) error {
	ctx, cancel := context.WithTimeout(ctx, announceTimeout)
	defer cancel()
	sc, err := an.dialer.Open(ctx, a, announceTimeout)
	if err != nil {
		return err
	}
	return sc.Quit(ctx)
}

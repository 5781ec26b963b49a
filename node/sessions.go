package node

import (
	"context"
	"sync"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/peer"
)

// pipelineWindow is how many envelopes one session to a node has
// unanswered at once. It matches the queue's window for one recipient
// (outbox.DefaultWindow), so a burst to one node fills one session.
const pipelineWindow = 32

// endTimeout bounds the end of a session: the relay-record question and
// QUIT, both a round trip on a live stream.
const endTimeout = 10 * time.Second

// sessions shares one session per remote node among the delivery attempts
// that run at the same time: the queue tries up to a window of one
// recipient's messages at once, and deposits for many recipients go to the
// same relays. The first attempt dials; the others wait for it and then
// pipeline their envelopes on the same stream. The last one to finish
// ends the session.
type sessions struct {
	mu   sync.Mutex
	open map[envelope.Address]*shared
}

// shared is one session and its users.
type shared struct {
	addr  envelope.Address
	ready chan struct{} // closed once dialled: sc or err is set
	sc    *peer.ClientConn
	pipe  *peer.Pipeline // nil for a classic node, whose session is used by one attempt at a time
	err   error

	users     int        // attempts holding it; guarded by sessions.mu
	lost      bool       // the stream failed; guarded by sessions.mu
	classic   sync.Mutex // held by the attempt using a classic node's session
	delivered bool       // an envelope for addr itself was stored; guarded by sessions.mu
}

// acquire returns the session to addr, dialling it with dial if none is
// open. Every acquire that returns nil error must be followed by release.
func (ss *sessions) acquire(ctx context.Context, addr envelope.Address, dial func(context.Context) (*peer.ClientConn, error)) (*shared, error) {
	ss.mu.Lock()
	if ss.open == nil {
		ss.open = map[envelope.Address]*shared{}
	}
	s, ok := ss.open[addr]
	if ok {
		s.users++
		ss.mu.Unlock()
		select {
		case <-s.ready:
		case <-ctx.Done():
			ss.release(s, nil)
			return nil, ctx.Err()
		}
		if s.err != nil {
			ss.release(s, nil)
			return nil, s.err
		}
		return s, nil
	}
	s = &shared{addr: addr, ready: make(chan struct{}), users: 1}
	ss.open[addr] = s
	ss.mu.Unlock()

	s.sc, s.err = dial(ctx)
	if s.err == nil && s.sc.Yggpost() {
		// ctx is the queue's: the pipeline ends when the last user
		// releases the session, or at once when the queue stops.
		s.pipe = s.sc.Pipeline(ctx, pipelineWindow)
	}
	if s.err != nil {
		ss.mu.Lock()
		delete(ss.open, addr) // the next attempt dials again
		ss.mu.Unlock()
	}
	close(s.ready)
	if s.err != nil {
		ss.release(s, nil)
		return nil, s.err
	}
	return s, nil
}

// markLost takes a session whose stream failed out of use: later attempts
// dial afresh, and its last user closes it instead of saying QUIT.
func (ss *sessions) markLost(s *shared) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.lost = true
	if ss.open[s.addr] == s {
		delete(ss.open, s.addr)
	}
}

// markDelivered notes that the node at the session's address stored an
// envelope for itself, so the session is worth asking for its relay
// record before it ends.
func (ss *sessions) markDelivered(s *shared) {
	ss.mu.Lock()
	s.delivered = true
	ss.mu.Unlock()
}

// release gives the session back. The last user ends it: it waits for
// the pipeline's replies, calls finish (which may still use the session,
// for example to ask for a relay record) and says QUIT.
func (ss *sessions) release(s *shared, finish func(context.Context, *peer.ClientConn)) {
	ss.mu.Lock()
	s.users--
	last := s.users == 0
	if last && ss.open[s.addr] == s {
		delete(ss.open, s.addr)
	}
	lost, delivered := s.lost, s.delivered
	ss.mu.Unlock()
	if !last || s.sc == nil {
		return
	}
	if s.pipe != nil && s.pipe.Wait() != nil {
		lost = true
	}
	if lost {
		s.sc.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), endTimeout)
	defer cancel()
	if delivered && finish != nil {
		finish(ctx, s.sc)
	}
	s.sc.Quit(ctx)
}

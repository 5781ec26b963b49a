package chunkstore

import "sync"

// Gate counts the operations running on a database so that it is closed
// only after they finish. The zero value is open.
type Gate struct {
	mu     sync.Mutex
	closed bool
	active sync.WaitGroup
}

// Enter marks the start of an operation; it reports false once the gate is
// shut. Every Enter that reports true is paired with Leave.
func (g *Gate) Enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.active.Add(1)
	return true
}

// Leave marks the end of an operation.
func (g *Gate) Leave() { g.active.Done() }

// Shut refuses new operations and waits for the running ones. It reports
// false if the gate was shut already. An operation that enters again while
// it runs is refused instead of waiting on itself.
func (g *Gate) Shut() bool {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return false
	}
	g.closed = true
	g.mu.Unlock()
	g.active.Wait()
	return true
}

// IsShut reports whether Shut has been called.
func (g *Gate) IsShut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

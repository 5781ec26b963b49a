package chunkstore

import (
	"slices"
	"sync"
)

// Batch is the write transaction that a Committer shares among the
// operations of one group.
type Batch interface {
	// Writes counts the writes made to the batch so far. An operation
	// that fails without changing it has left the batch as it found it,
	// so the others of its group can still commit.
	Writes() int
	// Commit makes every write of the batch durable.
	Commit() error
	// End ends the batch, committed or not: it discards what was not
	// committed and publishes what was. It is called once per batch.
	End()
}

// Committer makes concurrent small writes share one commit, and so one
// fsync, without making a lone writer wait.
//
// Callers hand it an operation that writes into a batch. The first caller
// to arrive while no group is being committed becomes the leader: it
// starts a batch, then takes every operation waiting (at most maxOps of
// them and about maxBytes of values, oldest first), applies them in order
// to the batch, commits once, and answers each. Operations that arrive
// meanwhile queue up; when the leader's own operation is answered it hands
// the lead to the oldest waiting caller, which commits the next group. No
// goroutine runs between calls, and nothing waits for a group to fill: a
// group is whatever queued while the previous one committed, or while the
// batch waited to start (begin may wait for a lock).
//
// A group commits only if every operation that wrote to it succeeded. An
// operation that fails without writing (see Batch.Writes) fails alone. If
// one fails after writing, the batch is discarded and every operation of
// the group runs again alone, in its own batch, so operations must be
// safe to run more than once: they keep what they compute in the batch or
// in variables they set afresh on every run.
//
// Nothing is answered before its batch has committed and ended. An
// operation must not call Do of the same Committer (it would wait on
// itself).
type Committer[B Batch] struct {
	begin    func(shared bool) B
	maxOps   int
	maxBytes int64

	mu      sync.Mutex
	queue   []*request[B] // oldest first
	leading bool          // a caller is committing groups
}

// request is one operation waiting in a Committer.
type request[B Batch] struct {
	op   func(B) error
	size int64
	err  error
	// done carries true once the operation is answered (err is set), or
	// false when its caller is to take the lead.
	done chan bool
}

// NewCommitter returns a Committer that starts each batch with begin;
// shared is true for a batch that several operations share (a caller may
// then refuse to split it into several transactions). A group holds at
// most maxOps operations whose sizes add up to at most maxBytes, unless
// one operation alone is larger.
func NewCommitter[B Batch](begin func(shared bool) B, maxOps int, maxBytes int64) *Committer[B] {
	return &Committer[B]{begin: begin, maxOps: max(maxOps, 1), maxBytes: maxBytes}
}

// Do runs op in a batch, shared with whatever other operations are
// waiting, and returns once that batch has committed, with op's error or
// the commit's. size is what op writes in values, for the group's bound.
func (c *Committer[B]) Do(size int64, op func(B) error) error {
	req := &request[B]{op: op, size: size, done: make(chan bool, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, req)
	lead := !c.leading
	c.leading = true
	c.mu.Unlock()
	if !lead && <-req.done {
		return req.err
	}
	for {
		c.round()
		select {
		case <-req.done:
			c.handOff()
			return req.err
		default: // operations queued before ours filled the group
		}
	}
}

// Queued is the number of operations waiting, not yet taken into a group.
func (c *Committer[B]) Queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

// take removes the next group from the queue.
func (c *Committer[B]) take() []*request[B] {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, bytes := 0, int64(0)
	for n < len(c.queue) && n < c.maxOps && (n == 0 || bytes+c.queue[n].size <= c.maxBytes) {
		bytes += c.queue[n].size
		n++
	}
	group := slices.Clone(c.queue[:n])
	c.queue = slices.Delete(c.queue, 0, n)
	return group
}

// handOff passes the lead to the oldest waiting caller, or gives it up.
func (c *Committer[B]) handOff() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		c.leading = false
		return
	}
	c.queue[0].done <- false
}

// round starts a batch, takes the next group and commits it: together if
// it can, otherwise each operation alone.
func (c *Committer[B]) round() {
	b := c.begin(true)
	group := c.take()
	if c.together(b, group) {
		return
	}
	for _, r := range group {
		c.alone(r)
	}
}

// together applies group to b and commits it once. It reports false,
// having discarded b and answered nobody, when an operation failed after
// writing.
func (c *Committer[B]) together(b B, group []*request[B]) bool {
	for _, r := range group {
		before := b.Writes()
		r.err = r.op(b)
		if r.err != nil && b.Writes() != before {
			b.End()
			return false
		}
	}
	err := b.Commit()
	b.End()
	for _, r := range group {
		if r.err == nil {
			r.err = err
		}
		r.done <- true
	}
	return true
}

// alone runs one operation in a batch of its own.
func (c *Committer[B]) alone(r *request[B]) {
	b := c.begin(false)
	r.err = r.op(b)
	if r.err == nil {
		r.err = b.Commit()
	}
	b.End()
	r.done <- true
}

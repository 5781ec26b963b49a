package mailbox

import (
	"errors"

	"github.com/yggpost/yggpost/internal/chunkstore"
)

// Bounds of one group commit: at most maxGroupOps small writes (Append,
// Enqueue, outbox updates and deletes, a flag change of a few messages),
// whose bodies written inline add up to at most maxGroupBytes. Each of
// those writes at most a handful of keys, so a group stays below
// maxBatchOps and its transaction far below Badger's size limit.
const (
	maxGroupOps   = 32
	maxGroupBytes = chunkstore.ChunksPerTxn * chunkSize
)

// maxGroupUIDs is the number of messages up to which a flag change joins
// a group commit; a larger one commits alone.
const maxGroupUIDs = 4

// errGroupFull is a shared batch's answer to a write that would need a
// second transaction: the group is then run again, each write alone.
var errGroupFull = errors.New("group commit full")

// newCommitter returns the committer of s's small index writes. A batch
// holds s.mu from begin to End, so a group is serialised with every other
// index write, and UIDs and MODSEQs are allocated in commit order.
func (s *Store) newCommitter() *chunkstore.Committer[*batch] {
	return chunkstore.NewCommitter(s.begin, maxGroupOps, maxGroupBytes)
}

// begin locks s.mu and starts a batch; End unlocks it.
func (s *Store) begin(shared bool) *batch {
	s.mu.Lock()
	b := s.newBatch()
	b.shared = shared
	return b
}

// update runs op as one index write and commits it: through the
// committer, sharing a commit with concurrent small writes, if small is
// true, otherwise alone. size is the bytes op writes inline (a small body).
func (s *Store) update(small bool, size int64, op func(*batch) error) error {
	if small {
		return s.commits.Do(size, op)
	}
	b := s.begin(false)
	defer b.End()
	if err := op(b); err != nil {
		return err
	}
	return b.Commit()
}

// Writes, Commit and End make a batch a chunkstore.Batch.

func (b *batch) Writes() int   { return b.writes }
func (b *batch) Commit() error { return b.commit() }

// End publishes what the batch committed (finish) and unlocks s.mu.
func (b *batch) End() {
	b.s.finish(b)
	b.s.mu.Unlock()
}

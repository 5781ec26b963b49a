package relay

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/internal/chunkstore"
)

// Bounds of one group commit: at most maxGroupOps deposits and acks whose
// envelopes written inline (and keys deleted, at heldKeyLen bytes each)
// add up to at most maxGroupBytes. A removal of more than maxTxnOps
// envelopes commits alone, in several transactions.
const (
	maxGroupOps   = 32
	maxGroupBytes = chunkstore.ChunksPerTxn * chunkSize
	heldKeyLen    = 1 + 32 + 16
)

// wbatch is the one write transaction of a group commit. It holds r.mu
// from begin to End, so a group is serialised with membership changes and
// every other index write, and the usage always matches what is stored.
// What the operations change in memory (usage, counters, watchers) runs
// only once the transaction has committed; the chunks of removed
// envelopes are deleted after that, all in one transaction.
type wbatch struct {
	r         *Relay
	txn       *badger.Txn
	writes    int
	committed bool
	after     []func() // run once committed, r.mu held
	freed     []blobID // chunks to delete once committed
}

// newCommitter returns the committer of r's deposits and acks.
func (r *Relay) newCommitter() *chunkstore.Committer[*wbatch] {
	return chunkstore.NewCommitter(r.begin, maxGroupOps, maxGroupBytes)
}

// begin locks r.mu and starts a batch; End unlocks it.
func (r *Relay) begin(bool) *wbatch {
	r.mu.Lock()
	return &wbatch{r: r, txn: r.db.NewTransaction(true)}
}

func (b *wbatch) set(key, value []byte) error {
	b.writes++
	return b.txn.Set(key, value)
}

func (b *wbatch) del(key []byte) error {
	b.writes++
	return b.txn.Delete(key)
}

// onCommit arranges for f to run once the batch has committed.
func (b *wbatch) onCommit(f func()) {
	b.writes++
	b.after = append(b.after, f)
}

// Writes, Commit and End make a wbatch a chunkstore.Batch.

func (b *wbatch) Writes() int { return b.writes }

func (b *wbatch) Commit() error {
	if err := b.txn.Commit(); err != nil {
		return err
	}
	b.committed = true
	for _, f := range b.after {
		f()
	}
	return nil
}

func (b *wbatch) End() {
	b.txn.Discard()
	if b.committed {
		if err := b.r.blobs.DeleteAll(b.freed); err != nil {
			b.r.log.Warn("envelope chunks left for the next sweep", "err", err)
		}
	}
	b.r.mu.Unlock()
}

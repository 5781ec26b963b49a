package chunkstore

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// Compaction. Badger's own compactors each wake every 50 ms whether
// anything was written or not, which keeps a phone awake, so Open runs
// none (NumCompactors 0) and a Compactor compacts on demand instead, on one
// goroutine that sleeps on a channel: the store kicks it after its
// operations and it compacts once level 0 holds compactAtTables tables
// (each one a memtable of writes flushed to disk); the store's owner may
// ask for a compaction at a moment of its choosing (Compact); and Badger
// compacts level 0 when the database closes (CompactL0OnClose).

// compactAtTables is the number of level-0 tables at which a kick
// compacts: one more than Badger's own threshold (NumLevelZeroTables, 5),
// below which Badger will not compact a level 0 that holds all the data,
// and well below the 15 at which it stalls writes.
const compactAtTables = 6

// Compactor runs the compactions of one database. Create it with
// StartCompactor and stop it with Stop before the database closes.
type Compactor struct {
	db   *badger.DB
	log  *slog.Logger
	mu   sync.Mutex // one compaction at a time
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// StartCompactor starts the goroutine that compacts db when kicked, and
// kicks it once for what an earlier run left in level 0.
func StartCompactor(db *badger.DB, log *slog.Logger) *Compactor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Compactor{db: db, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	c.Kick()
	return c
}

// Kick asks the goroutine to look at level 0 and compact if it is due; it
// never blocks.
func (c *Compactor) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// run compacts each time a kick finds level 0 full, until Stop.
func (c *Compactor) run() {
	defer close(c.done)
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		if level0Tables(c.db) < compactAtTables {
			continue
		}
		if err := c.Compact(); err != nil {
			c.log.Warn("compact store", "err", err)
		}
	}
}

// Compact merges what level 0 holds into the levels below, until all of
// the data sits in one level, and returns when that is done. With level 0
// empty it does nothing; nor, as in Badger, when level 0 holds all the
// data in fewer than compactAtTables tables (a new store, until it first
// closes).
func (c *Compactor) Compact() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if level0Tables(c.db) == 0 {
		return nil
	}
	if err := c.db.Flatten(1); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	return nil
}

// Stop ends the goroutine, after the compaction in progress if there is
// one. Call it once, before the database closes.
func (c *Compactor) Stop() {
	close(c.stop)
	<-c.done
	c.mu.Lock() // a Compact called by the owner may still run
	c.mu.Unlock()
}

// level0Tables is the number of tables in db's level 0.
func level0Tables(db *badger.DB) int {
	levels := db.Levels()
	if len(levels) == 0 {
		return 0
	}
	return levels[0].NumTables
}

package mailbox

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/internal/chunkstore"
)

// sweep repairs what an interrupted write left behind: message records of
// deleted mailboxes, and body chunks nobody references. It also drops the
// expunged messages retained for watchers, as none outlives the process.
func (s *Store) sweep() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sweepMessages(); err != nil {
		return err
	}
	if err := s.sweepExpunged([]byte{tagExpunged}); err != nil {
		return fmt.Errorf("drop retained messages: %w", err)
	}
	return s.sweepChunks()
}

// sweepMessages purges the messages of mailbox ids with no record.
func (s *Store) sweepMessages() error {
	var lost []uint32
	err := s.db.View(func(txn *badger.Txn) error {
		it := keyIterator(txn, []byte{tagMessage})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if len(k) < 5 {
				continue
			}
			id, _ := tail32(k[:5], 5, 1)
			if len(lost) > 0 && lost[len(lost)-1] == id {
				continue
			}
			if _, err := txn.Get(mailboxKey(id)); errors.Is(err, badger.ErrKeyNotFound) {
				lost = append(lost, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range lost {
		s.log.Info("removing messages of a deleted mailbox", "mailbox", id)
		b := s.newBatch()
		err := s.purge(b, id)
		s.finish(b)
		if err != nil {
			return fmt.Errorf("purge mailbox %d: %w", id, err)
		}
	}
	return nil
}

// sweepChunks deletes the chunks of blobs without a reference count.
func (s *Store) sweepChunks() error {
	n, err := s.blobs.Sweep(func(txn *badger.Txn, id blobID) bool {
		_, err := txn.Get(refKey(id))
		return !errors.Is(err, badger.ErrKeyNotFound)
	})
	if n > 0 {
		s.log.Info("deleted bodies of interrupted writes", "count", n)
	}
	return err
}

func keyIterator(txn *badger.Txn, prefix []byte) *badger.Iterator {
	return chunkstore.KeyIterator(txn, prefix)
}

// countOutbox computes the outbox totals that bound Enqueue.
func (s *Store) countOutbox() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outCount, s.outBytes = 0, 0
	err := s.eachOutbound(func(_ [16]byte, r outboundRec) {
		s.outCount++
		s.outBytes += r.Size
	})
	if err != nil {
		return fmt.Errorf("count outbox: %w", err)
	}
	return nil
}

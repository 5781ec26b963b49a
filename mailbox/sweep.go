package mailbox

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// sweep repairs what an interrupted write left behind: message records of
// deleted mailboxes, and body chunks nobody references.
func (s *Store) sweep() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sweepMessages(); err != nil {
		return err
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
	var orphans []blobID
	err := s.db.View(func(txn *badger.Txn) error {
		it := keyIterator(txn, []byte{tagChunk})
		defer it.Close()
		var last []byte
		for it.Rewind(); it.Valid(); it.Next() {
			id, ok := blobFromKey(it.Item().Key())
			if !ok || bytes.Equal(last, id[:]) {
				continue
			}
			last = append(last[:0], id[:]...)
			if _, err := txn.Get(refKey(id)); errors.Is(err, badger.ErrKeyNotFound) {
				orphans = append(orphans, id)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range orphans {
		if err := s.deleteBlob(id); err != nil {
			return err
		}
	}
	if len(orphans) > 0 {
		s.log.Info("deleted bodies of interrupted writes", "count", len(orphans))
	}
	return nil
}

func keyIterator(txn *badger.Txn, prefix []byte) *badger.Iterator {
	o := badger.DefaultIteratorOptions
	o.PrefetchValues = false
	o.Prefix = prefix
	return txn.NewIterator(o)
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

package mailbox

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// Subscriptions are a set of names of their own, under "u" (RFC 3501
// 6.3.6, RFC 9051 6.3.7): a name may be subscribed whether or not a
// mailbox of that name exists, DeleteMailbox leaves the name subscribed,
// and RenameMailbox moves the subscriptions of the renamed hierarchy with
// it. Stores written before the set existed kept a flag in each mailbox
// record; Open copies those flags into the set once (migrationSubscriptions).

// migrationSubscriptions names the migration that built "u" from the
// records' flags.
const migrationSubscriptions = "subscriptions"

func subscribeKey(name string) []byte { return keyOf(tagSubscribe, []byte(name)) }
func migrationKey(name string) []byte { return keyOf(tagMigration, []byte(name)) }

// SetSubscribed adds name to the subscriptions or removes it. The name
// must be valid (ErrBadName) but need not exist. Subscribing twice, or
// unsubscribing a name that is not subscribed, is not an error.
func (s *Store) SetSubscribed(name string, on bool) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	cname, err := canonName(name)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBatch()
	defer s.finish(b)
	if err := b.setSubscribed(cname, on); err != nil {
		return fmt.Errorf("subscribe %q: %w", cname, err)
	}
	if err := b.commit(); err != nil {
		return fmt.Errorf("subscribe %q: %w", cname, err)
	}
	return nil
}

func (b *batch) setSubscribed(name string, on bool) error {
	if on {
		return b.set(subscribeKey(name), []byte{})
	}
	return b.del(subscribeKey(name))
}

// Subscriptions returns the subscribed names, sorted.
func (s *Store) Subscriptions() ([]string, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	var names []string
	err := s.db.View(func(txn *badger.Txn) error {
		names = s.subscribedWithin(txn, "")
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return names, nil
}

// subscribedWithin returns the subscribed names at or below root ("" for
// all), sorted. A key that holds no valid name is logged and left out.
func (s *Store) subscribedWithin(txn *badger.Txn, root string) []string {
	it := keyIterator(txn, subscribeKey(root))
	defer it.Close()
	var names []string
	for it.Rewind(); it.Valid(); it.Next() {
		name := string(it.Item().Key()[1:])
		if c, err := canonName(name); err != nil || c != name {
			s.log.Error("subscription skipped", "key", fmt.Sprintf("%x", it.Item().Key()))
			continue
		}
		if root == "" || isWithin(name, root) {
			names = append(names, name)
		}
	}
	return names
}

// moveSubscriptions renames the subscriptions at or below from to the
// same place below to.
func (s *Store) moveSubscriptions(b *batch, from, to string) error {
	for _, name := range s.subscribedWithin(b.txn, from) {
		if err := b.setSubscribed(name, false); err != nil {
			return err
		}
		if err := b.setSubscribed(to+name[len(from):], true); err != nil {
			return err
		}
	}
	return nil
}

// migrateSubscriptions subscribes, once per store, the names whose
// mailbox records carry the subscription flag of stores written before
// the "u" table. It runs again if a crash interrupts it; subscribing is
// idempotent.
func (s *Store) migrateSubscriptions(b *batch) error {
	if _, err := b.get(migrationKey(migrationSubscriptions)); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("migrate subscriptions: %w", err)
	}
	recs, err := s.allMailboxes()
	if err != nil {
		return fmt.Errorf("migrate subscriptions: %w", err)
	}
	slices.SortFunc(recs, func(a, b mailboxRec) int { return compareStrings(a.Name, b.Name) })
	for _, r := range recs {
		if !r.Subscribed {
			continue
		}
		if err := b.setSubscribed(r.Name, true); err != nil {
			return fmt.Errorf("migrate subscription of %q: %w", r.Name, err)
		}
	}
	if err := b.set(migrationKey(migrationSubscriptions), []byte{}); err != nil {
		return fmt.Errorf("migrate subscriptions: %w", err)
	}
	return nil
}

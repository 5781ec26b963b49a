package peerbook

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

// settingContacts holds the recent correspondents: concatenated 32-byte keys,
// most recent first.
const settingContacts = "node.contacts"

// maxContacts bounds the correspondents a node remembers and greets.
const maxContacts = 64

// contacts remembers the addresses the user recently exchanged mail with,
// so that the node can tell them it is back online (see announce). It is
// persisted only when its membership changes, not on every message.
type contacts struct {
	mu    sync.Mutex
	store *mailbox.Store
	list  []envelope.Address
}

func loadContacts(store *mailbox.Store) (*contacts, error) {
	c := &contacts{store: store}
	raw, err := store.Setting(settingContacts)
	if errors.Is(err, mailbox.ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	if len(raw)%32 != 0 || len(raw)/32 > maxContacts {
		return c, nil // damaged: start afresh rather than refuse to run
	}
	for i := 0; i < len(raw); i += 32 {
		c.list = append(c.list, envelope.Address(raw[i:i+32]))
	}
	return c, nil
}

// touch records a correspondent. It writes to the store only when the
// address is new to the list.
func (c *contacts) touch(a envelope.Address, self envelope.Address) error {
	if a == self {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.list, a); i >= 0 {
		c.list = slices.Insert(slices.Delete(c.list, i, i+1), 0, a)
		return nil
	}
	c.list = slices.Insert(c.list, 0, a)
	if len(c.list) > maxContacts {
		c.list = c.list[:maxContacts]
	}
	raw := make([]byte, 0, 32*len(c.list))
	for _, x := range c.list {
		raw = append(raw, x[:]...)
	}
	if err := c.store.SetSetting(settingContacts, raw); err != nil {
		return fmt.Errorf("store contacts: %w", err)
	}
	return nil
}

// snapshot returns the current list, most recent first.
func (c *contacts) snapshot() []envelope.Address {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list)
}

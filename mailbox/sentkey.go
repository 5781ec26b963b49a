package mailbox

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// SentCopyKey is the de-duplication key (AppendOptions.EnvelopeID) of the
// copy of a sent message kept in the Sent mailbox, derived from the
// message's Message-ID. The node stores that copy when a client submits a
// message; a client that also APPENDs its own copy to Sent passes the same
// key and so stores nothing twice. An empty Message-ID has no key (ok is
// false): such messages are never de-duplicated.
func SentCopyKey(messageID string) (key [16]byte, ok bool) {
	id := strings.TrimSpace(messageID)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if id == "" {
		return key, false
	}
	sum := sha256.Sum256([]byte("yggpost sent copy\x00" + id))
	return [16]byte(sum[:16]), true
}

// FindByKey returns the mailbox and UID of the message appended with
// de-duplication key key (AppendOptions.EnvelopeID), if it is still where
// it was stored: ok is false once it was expunged or moved, or the key was
// never used or has expired (DeliveredTTL).
func (s *Store) FindByKey(key [16]byte) (mailbox string, uid uint32, ok bool, err error) {
	if err := s.enter(); err != nil {
		return "", 0, false, err
	}
	defer s.leave()
	err = s.db.View(func(txn *badger.Txn) error {
		val, err := getValue(txn, deliveredKey(key))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil || len(val) != 8 {
			return err
		}
		id, u := binary.BigEndian.Uint32(val[:4]), binary.BigEndian.Uint32(val[4:])
		if _, err := loadMessage(txn, id, u); errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		rec, err := loadMailbox(txn, id)
		if err != nil {
			return err
		}
		mailbox, uid, ok = rec.Name, u, true
		return nil
	})
	if err != nil {
		return "", 0, false, fmt.Errorf("find message %x: %w", key, err)
	}
	return mailbox, uid, ok, nil
}

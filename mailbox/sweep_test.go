package mailbox

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func put(t *testing.T, s *Store, key, value []byte) {
	t.Helper()
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(key, value) }); err != nil {
		t.Fatal(err)
	}
}

func chunkCount(t *testing.T, s *Store, id blobID) int {
	t.Helper()
	keys, err := s.keysWithPrefix(chunkPrefix(id))
	if err != nil {
		t.Fatal(err)
	}
	return len(keys)
}

func TestOrphanSweep(t *testing.T) {
	s, dir := openTest(t, Options{})
	body := randomBytes(t, 2*chunkSize+1)
	kept := mustAppend(t, s, "INBOX", body, AppendOptions{})
	// A crash after the chunks of a body were written but before its
	// record: chunks with no reference.
	orphan, _ := newBlobID()
	if _, err := s.writeChunks(orphan, bytes.NewReader(randomBytes(t, 3*chunkSize)), 1<<30); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of DeleteMailbox: a message record (and its
	// referenced body) whose mailbox record is gone.
	if err := s.CreateMailbox("Doomed"); err != nil {
		t.Fatal(err)
	}
	doomed := mustAppend(t, s, "Doomed", randomBytes(t, chunkSize+1), AppendOptions{})
	var doomedRec messageRec
	var doomedID uint32
	s.db.View(func(txn *badger.Txn) error {
		rec, err := lookup(txn, "Doomed")
		doomedID = rec.id
		doomedRec, _ = loadMessage(txn, rec.id, doomed.UID)
		return err
	})
	put(t, s, messageKey(doomedID, 99), []byte("undecodable"))
	s.db.Update(func(txn *badger.Txn) error {
		txn.Delete(nameKey("Doomed"))
		return txn.Delete(mailboxKey(doomedID))
	})
	if chunkCount(t, s, orphan) != 3 || chunkCount(t, s, doomedRec.Blob) != 2 {
		t.Fatal("setup: chunks missing")
	}
	s.Close()

	s = reopen(t, dir, Options{})
	if n := chunkCount(t, s, orphan); n != 0 {
		t.Errorf("%d orphan chunks survived Open", n)
	}
	if n := chunkCount(t, s, doomedRec.Blob); n != 0 {
		t.Errorf("%d chunks of a deleted mailbox survived Open", n)
	}
	if keys, _ := s.keysWithPrefix(messagePrefix(doomedID)); len(keys) != 0 {
		t.Errorf("%d records of a deleted mailbox survived Open", len(keys))
	}
	if !bytes.Equal(readBody(t, s, "INBOX", kept.UID), body) {
		t.Error("a referenced body was swept")
	}
}

func TestCorruptRecords(t *testing.T) {
	s, _ := openTest(t, Options{})
	good := mustAppend(t, s, "INBOX", []byte("good"), AppendOptions{})
	bad := mustAppend(t, s, "INBOX", randomBytes(t, 2*chunkSize), AppendOptions{})
	var inbox, sent mailboxRec
	var badRec messageRec
	s.db.View(func(txn *badger.Txn) error {
		inbox, _ = lookup(txn, "INBOX")
		sent, _ = lookup(txn, "Sent")
		badRec, _ = loadMessage(txn, inbox.id, bad.UID)
		return nil
	})
	put(t, s, mailboxKey(sent.id), []byte{1, 200})
	if _, err := s.Status("Sent"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("status of corrupt mailbox: %v", err)
	}
	if boxes, err := s.Mailboxes(); err != nil || len(boxes) != 5 {
		t.Errorf("Mailboxes with one corrupt record: %d, %v", len(boxes), err)
	}
	if _, _, err := s.Append("Sent", bytes.NewReader(nil), AppendOptions{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("append to corrupt mailbox: %v", err)
	}

	put(t, s, messageKey(inbox.id, good.UID), []byte("garbage"))
	if _, err := s.OpenMessage("INBOX", good.UID); !errors.Is(err, ErrCorrupt) {
		t.Errorf("open corrupt message: %v", err)
	}
	if msgs, err := s.Messages("INBOX"); err != nil || len(msgs) != 1 || msgs[0].UID != bad.UID {
		t.Errorf("Messages with one corrupt record: %+v, %v", msgs, err)
	}
	if _, err := s.StoreFlags("INBOX", []uint32{good.UID}, FlagsAdd, []string{`\Seen`}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("store flags on corrupt message: %v", err)
	}

	// A lost chunk: reading fails with ErrCorrupt rather than returning a
	// short body.
	s.db.Update(func(txn *badger.Txn) error { return txn.Delete(chunkKey(badRec.Blob, 1)) })
	r, err := s.OpenMessage("INBOX", bad.UID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadAll(r); !errors.Is(err, ErrCorrupt) {
		t.Errorf("read with a missing chunk: %v", err)
	}
}

package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/internal/chunkstore"
	"github.com/yggpost/yggpost/internal/testkit"
)

// inOneGroup runs ops so that they commit as one group (up to
// maxGroupOps): see testkit.InOneGroup.
func inOneGroup(t *testing.T, s *Store, ops []func()) {
	t.Helper()
	testkit.InOneGroup(t, &s.mu, s.commits.Queued, ops)
}

// envBody is a 1 KiB body naming envelope id n and copy c.
func envBody(n, c int) []byte {
	head := fmt.Sprintf("Subject: envelope %d copy %d\r\n\r\n", n, c)
	return append([]byte(head), bytes.Repeat([]byte{'x'}, 1024-len(head))...)
}

func envID(n int) [16]byte { return [16]byte{0xe0, byte(n >> 16), byte(n >> 8), byte(n)} }

// TestGroupedAppends: 32 appends in one group commit, eight of them a
// second copy of another's envelope id. Each id is stored once, with
// unique ascending UIDs, the second copy is answered as a duplicate of
// the first, and counters and the change feed agree with the contents.
func TestGroupedAppends(t *testing.T) {
	s, _ := openTest(t, Options{})
	w, err := s.Watch("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	type answer struct {
		m   Message
		dup bool
		err error
	}
	answers := make([]answer, 32)
	var ops []func()
	for i := range answers {
		ops = append(ops, func() {
			id := envID(i % 24)
			a := &answers[i]
			a.m, a.dup, a.err = s.Append("INBOX", bytes.NewReader(envBody(i%24, i/24)), AppendOptions{EnvelopeID: &id})
		})
	}
	inOneGroup(t, s, ops)
	uidOf := map[int]uint32{}
	for i, a := range answers {
		if a.err != nil {
			t.Fatalf("append %d: %v", i, a.err)
		}
		if !a.dup {
			if _, seen := uidOf[i%24]; seen {
				t.Fatalf("envelope %d stored twice", i%24)
			}
			uidOf[i%24] = a.m.UID
		}
	}
	for i, a := range answers {
		if a.dup && a.m.UID != uidOf[i%24] {
			t.Errorf("duplicate %d answered UID %d, stored as %d", i, a.m.UID, uidOf[i%24])
		}
	}
	checkInbox(t, s, 24)
	var last uint64
	for want := uint32(1); want <= 24; want++ {
		c := testkit.Receive(t, 5*time.Second, "a change", w.C(), func(Change) bool { return true })
		if c.Kind != Added || c.UID != want || c.ModSeq <= last {
			t.Fatalf("change %d: %+v", want, c)
		}
		last = c.ModSeq
	}
	if v := commitsUnder(t, s, []byte{tagMessage}); len(v) != 1 {
		t.Fatalf("messages written in %d commits, want 1", len(v))
	}
}

// commitsUnder returns the commit timestamps of the live keys under prefix.
func commitsUnder(t *testing.T, s *Store, prefix []byte) map[uint64]bool {
	t.Helper()
	versions := map[uint64]bool{}
	err := s.db.View(func(txn *badger.Txn) error {
		it := chunkstore.KeyIterator(txn, prefix)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			versions[it.Item().Version()] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

// checkInbox checks that INBOX holds n messages (any number if n < 0) of
// envBody, each body intact and found by its envelope id, each id once,
// and that Status agrees. It returns the UID of each envelope id.
func checkInbox(t *testing.T, s *Store, n int) map[int]uint32 {
	t.Helper()
	msgs, err := s.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if n < 0 {
		n = len(msgs)
	}
	st := mustStatus(t, s, "INBOX")
	if len(msgs) != n || st.Messages != uint32(n) || st.Unseen != uint32(n) || st.Size != int64(n)*1024 {
		t.Fatalf("%d messages, Status %+v; want %d", len(msgs), st, n)
	}
	seen := map[int]uint32{}
	for i, m := range msgs {
		if i > 0 && m.UID <= msgs[i-1].UID {
			t.Fatalf("UIDs not ascending: %d after %d", m.UID, msgs[i-1].UID)
		}
		var id, copyN int
		body := readBody(t, s, "INBOX", m.UID)
		if _, err := fmt.Sscanf(string(body), "Subject: envelope %d copy %d", &id, &copyN); err != nil || !bytes.Equal(body, envBody(id, copyN)) {
			t.Fatalf("UID %d: body %.40q", m.UID, body)
		}
		if seen[id] != 0 {
			t.Fatalf("envelope %d stored twice", id)
		}
		seen[id] = m.UID
		if box, uid, ok, err := s.FindByKey(envID(id)); err != nil || !ok || box != "INBOX" || uid != m.UID {
			t.Fatalf("FindByKey(%d) = %s %d %v %v, want UID %d", id, box, uid, ok, err, m.UID)
		}
	}
	return seen
}

// TestConcurrentAppendsAndDeletes: appends and outbox deletes from many
// goroutines at once, without forcing groups: everything answered is
// stored once (or deleted), counters stay exact.
func TestConcurrentAppendsAndDeletes(t *testing.T) {
	s, _ := openTest(t, Options{})
	for i := range 64 {
		if err := s.Enqueue(outbound(byte(i)), bytes.NewReader(envBody(i, 0))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 256)
	var dups [96]atomic.Bool
	for g := range 32 {
		wg.Go(func() {
			for n := g; n < 96; n += 32 {
				id := envID(n % 80) // 80..95 repeat 0..15
				_, dup, err := s.Append("INBOX", bytes.NewReader(envBody(n%80, n/80)), AppendOptions{EnvelopeID: &id})
				if err != nil {
					errs <- fmt.Errorf("append %d: %v", n, err)
				}
				dups[n].Store(dup)
			}
			for n := g; n < 64; n += 32 {
				if err := s.DeleteOutbound(outbound(byte(n)).ID); err != nil {
					errs <- fmt.Errorf("delete %d: %v", n, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Of two appends of one envelope, whichever came second is the
	// duplicate; an envelope appended once is none.
	for n := range 80 {
		first, again := dups[n].Load(), n < 16 && dups[n+80].Load()
		if n < 16 && first == again || n >= 16 && first {
			t.Errorf("envelope %d: duplicate answers %v and %v", n, first, again)
		}
	}
	checkInbox(t, s, 80)
	if list, err := s.Outbox(); err != nil || len(list) != 0 || s.outCount != 0 || s.outBytes != 0 {
		t.Fatalf("outbox after deleting every row: %d rows, %v; totals %d, %d", len(list), err, s.outCount, s.outBytes)
	}
	if keys, _ := s.keysWithPrefix([]byte{tagChunk}); len(keys) != 80 {
		t.Fatalf("%d chunks left, want the 80 of INBOX", len(keys))
	}
}

// TestGroupFailuresStayAlone: in one group commit, writes that fail
// before writing (an append to a missing mailbox, a row queued already,
// a delete of a row not queued) and one that fails after writing (a flag
// change whose second message has no room for another flag) fail alone;
// the others of the group are stored.
func TestGroupFailuresStayAlone(t *testing.T) {
	s, _ := openTest(t, Options{})
	if err := s.Enqueue(outbound(1), strings.NewReader("queued")); err != nil {
		t.Fatal(err)
	}
	a, _, _ := s.Append("INBOX", strings.NewReader("a"), AppendOptions{})
	var many []string
	for i := range maxMessageFlags {
		many = append(many, fmt.Sprint("k", i))
	}
	b, _, _ := s.Append("INBOX", strings.NewReader("b"), AppendOptions{Flags: many})
	errs := make([]error, 9)
	ops := []func(){
		func() {
			_, errs[0] = s.commitAppend("Missing", messageRec{Size: 1}, pendingBody{Size: 1, Small: []byte("m")}, nil)
		},
		func() {
			errs[1] = s.commitOutbound(outbound(1).ID, outboundRec{Size: 1}, pendingBody{Size: 1, Small: []byte("q")})
		},
		func() { errs[2] = s.DeleteOutbound(outbound(9).ID) },
		func() { _, errs[3] = s.StoreFlags("INBOX", []uint32{a.UID, b.UID}, FlagsAdd, []string{"more"}) },
	}
	for i := 4; i < len(errs); i++ {
		ops = append(ops, func() {
			id := envID(i)
			_, _, errs[i] = s.Append("INBOX", bytes.NewReader(envBody(i, 0)), AppendOptions{EnvelopeID: &id})
		})
	}
	inOneGroup(t, s, ops)
	want := []error{ErrNoMailbox, ErrExists, ErrNotFound, ErrBadFlag}
	for i, err := range errs {
		if i < len(want) && !errors.Is(err, want[i]) || i >= len(want) && err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	msgs, err := s.Messages("INBOX")
	if err != nil || len(msgs) != 7 || mustStatus(t, s, "INBOX").Messages != 7 {
		t.Fatalf("INBOX: %d messages, %v; want 7", len(msgs), err)
	}
	if slices.Contains(msgs[0].Flags, "more") {
		t.Error("the failed flag change was stored in part")
	}
	if list, _ := s.Outbox(); len(list) != 1 || s.outCount != 1 {
		t.Fatalf("outbox: %d rows, count %d; want 1", len(list), s.outCount)
	}
}

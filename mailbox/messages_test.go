package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestAppendReadBack(t *testing.T) {
	s, _ := openTest(t, Options{})
	for _, n := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 20 << 20} {
		body := randomBytes(t, n)
		m := mustAppend(t, s, "INBOX", body, AppendOptions{})
		if m.Size != int64(n) {
			t.Errorf("size %d: message says %d", n, m.Size)
		}
		if got := readBody(t, s, "INBOX", m.UID); !bytes.Equal(got, body) {
			t.Errorf("size %d: read back %d bytes, not identical", n, len(got))
		}
	}
	st := mustStatus(t, s, "INBOX")
	if st.Messages != 6 || st.Unseen != 6 || st.UIDNext != 7 || st.Size != int64(1+3*chunkSize+20<<20) {
		t.Errorf("status %+v", st)
	}
}

func TestAppendErrors(t *testing.T) {
	s, _ := openTest(t, Options{MaxMessageSize: 1000})
	if _, _, err := s.Append("Nope", bytes.NewReader(nil), AppendOptions{}); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("unknown mailbox: %v", err)
	}
	if _, _, err := s.Append("INBOX", bytes.NewReader(make([]byte, 1001)), AppendOptions{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	if _, _, err := s.Append("INBOX", bytes.NewReader(nil), AppendOptions{Flags: []string{`\Bogus`}}); !errors.Is(err, ErrBadFlag) {
		t.Errorf("bad flag: %v", err)
	}
	if _, _, err := s.Append("INBOX", bytes.NewReader(nil), AppendOptions{Flags: []string{"a b"}}); !errors.Is(err, ErrBadFlag) {
		t.Errorf("bad keyword: %v", err)
	}
	if _, _, err := s.Append("INBOX", bytes.NewReader(nil), AppendOptions{Date: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("date in year 3000 accepted")
	}
	if _, err := s.OpenMessage("INBOX", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing message: %v", err)
	}
	if st := mustStatus(t, s, "INBOX"); st.Messages != 0 || st.UIDNext != 1 {
		t.Errorf("failed appends changed the mailbox: %+v", st)
	}
	mustAppend(t, s, "INBOX", make([]byte, 1000), AppendOptions{})
}

func TestRestartKeepsState(t *testing.T) {
	s, dir := openTest(t, Options{})
	date := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m1 := mustAppend(t, s, "INBOX", []byte("one"), AppendOptions{Flags: []string{`\seen`, "$Label1", `\Recent`}, Date: date})
	m2 := mustAppend(t, s, "INBOX", []byte("two"), AppendOptions{})
	if _, err := s.StoreFlags("INBOX", []uint32{m2.UID}, FlagsAdd, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	if gone, err := s.Expunge("INBOX", nil); err != nil || !slices.Equal(gone, []uint32{m2.UID}) {
		t.Fatalf("Expunge: %v, %v", gone, err)
	}
	before := mustStatus(t, s, "INBOX")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, dir, Options{})
	after := mustStatus(t, s, "INBOX")
	if after != before || after.UIDNext != 3 || after.Messages != 1 || after.Unseen != 0 {
		t.Fatalf("status before %+v, after %+v", before, after)
	}
	msgs, err := s.Messages("INBOX")
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Messages: %v, %v", msgs, err)
	}
	got := msgs[0]
	if got.UID != m1.UID || !slices.Equal(got.Flags, []string{"$Label1", `\Seen`}) || !got.InternalDate.Equal(date) || got.ModSeq != m1.ModSeq {
		t.Errorf("message after restart %+v, appended %+v", got, m1)
	}
	m3 := mustAppend(t, s, "INBOX", []byte("three"), AppendOptions{})
	if m3.UID != 3 || m3.ModSeq <= after.HighestModSeq {
		t.Errorf("next append after restart: %+v", m3)
	}
}

func TestUIDNextAfterExpungingLast(t *testing.T) {
	s, _ := openTest(t, Options{})
	m := mustAppend(t, s, "Drafts", []byte("x"), AppendOptions{Flags: []string{`\Deleted`}})
	if gone, err := s.Expunge("Drafts", []uint32{m.UID, 99}); err != nil || len(gone) != 1 {
		t.Fatalf("Expunge: %v %v", gone, err)
	}
	st := mustStatus(t, s, "Drafts")
	if st.Messages != 0 || st.UIDNext != 2 || st.Size != 0 || st.Unseen != 0 {
		t.Errorf("status %+v", st)
	}
	if m2 := mustAppend(t, s, "Drafts", []byte("y"), AppendOptions{}); m2.UID != 2 {
		t.Errorf("UID reused: %d", m2.UID)
	}
}

func TestStoreFlagsAndModSeq(t *testing.T) {
	s, _ := openTest(t, Options{})
	a := mustAppend(t, s, "INBOX", []byte("a"), AppendOptions{})
	b := mustAppend(t, s, "INBOX", []byte("b"), AppendOptions{Flags: []string{`\Seen`}})
	ms, err := s.StoreFlags("INBOX", []uint32{b.UID, a.UID, 77}, FlagsAdd, []string{`\SEEN`, "Work"})
	if err != nil || len(ms) != 2 {
		t.Fatalf("StoreFlags: %v %v", ms, err)
	}
	if !slices.Equal(ms[0].Flags, []string{"Work", `\Seen`}) || ms[0].ModSeq <= b.ModSeq {
		t.Errorf("message a: %+v", ms[0])
	}
	if st := mustStatus(t, s, "INBOX"); st.Unseen != 0 || st.HighestModSeq != ms[1].ModSeq {
		t.Errorf("status %+v, messages %+v", st, ms)
	}
	ms, _ = s.StoreFlags("INBOX", []uint32{a.UID}, FlagsRemove, []string{"work", `\Seen`})
	if len(ms[0].Flags) != 0 {
		t.Errorf("after remove: %+v", ms[0])
	}
	ms, _ = s.StoreFlags("INBOX", []uint32{a.UID}, FlagsReplace, []string{`\Flagged`})
	if !slices.Equal(ms[0].Flags, []string{`\Flagged`}) {
		t.Errorf("after replace: %+v", ms[0])
	}
	hm := mustStatus(t, s, "INBOX").HighestModSeq
	ms, _ = s.StoreFlags("INBOX", []uint32{a.UID}, FlagsAdd, []string{`\Flagged`})
	if ms[0].ModSeq != hm || mustStatus(t, s, "INBOX").HighestModSeq != hm {
		t.Errorf("a no-op store changed MODSEQ")
	}
	if st := mustStatus(t, s, "INBOX"); st.Unseen != 1 {
		t.Errorf("unseen %d, want 1", st.Unseen)
	}
	if _, err := s.StoreFlags("Nope", []uint32{1}, FlagsAdd, nil); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("unknown mailbox: %v", err)
	}
}

func TestDeduplication(t *testing.T) {
	s, dir := openTest(t, Options{})
	id := [16]byte{1, 2, 3}
	m, dup, err := s.Append("INBOX", bytes.NewReader([]byte("first")), AppendOptions{EnvelopeID: &id})
	if err != nil || dup {
		t.Fatalf("first: %v %v", dup, err)
	}
	again, dup, err := s.Append("INBOX", bytes.NewReader([]byte("second")), AppendOptions{EnvelopeID: &id})
	if err != nil || !dup || again.UID != m.UID || again.Size != m.Size {
		t.Fatalf("second: dup=%v err=%v message %+v, want the first %+v", dup, err, again, m)
	}
	s.Close()
	s = reopen(t, dir, Options{})
	other, dup, err := s.Append("Sent", bytes.NewReader([]byte("third")), AppendOptions{EnvelopeID: &id})
	if err != nil || !dup || other.UID != 0 {
		t.Fatalf("after restart, other mailbox: dup=%v err=%v message %+v, want UID 0", dup, err, other)
	}
	if st := mustStatus(t, s, "INBOX"); st.Messages != 1 || string(readBody(t, s, "INBOX", m.UID)) != "first" {
		t.Errorf("INBOX %+v", st)
	}
	if st := mustStatus(t, s, "Sent"); st.Messages != 0 {
		t.Errorf("duplicate stored in Sent: %+v", st)
	}
}

// A duplicate whose first copy was expunged stores nothing and names no
// message.
func TestDeduplicationAfterExpunge(t *testing.T) {
	s, _ := openTest(t, Options{})
	id, _ := SentCopyKey("<a@b>")
	m, _, err := s.Append("Sent", bytes.NewReader([]byte("first")), AppendOptions{EnvelopeID: &id})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StoreFlags("Sent", []uint32{m.UID}, FlagsAdd, []string{FlagDeleted}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expunge("Sent", []uint32{m.UID}); err != nil {
		t.Fatal(err)
	}
	again, dup, err := s.Append("Sent", bytes.NewReader([]byte("second")), AppendOptions{EnvelopeID: &id})
	if err != nil || !dup || again.UID != 0 {
		t.Fatalf("after expunge: dup=%v err=%v message %+v", dup, err, again)
	}
	if st := mustStatus(t, s, "Sent"); st.Messages != 0 {
		t.Errorf("Sent %+v, want empty", st)
	}
}

func TestConcurrentDedupe(t *testing.T) {
	s, _ := openTest(t, Options{})
	id := [16]byte{9}
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := 0
	for range 8 {
		wg.Go(func() {
			_, dup, err := s.Append("INBOX", bytes.NewReader([]byte("x")), AppendOptions{EnvelopeID: &id})
			if err != nil {
				t.Error(err)
			}
			if !dup {
				mu.Lock()
				stored++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if stored != 1 || mustStatus(t, s, "INBOX").Messages != 1 {
		t.Errorf("stored %d times", stored)
	}
}

func TestConcurrentAppends(t *testing.T) {
	s, _ := openTest(t, Options{})
	const writers, each = 8, 25
	uids := make(chan uint32, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				body := fmt.Appendf(nil, "writer %d message %d", w, i)
				m, _, err := s.Append("INBOX", bytes.NewReader(body), AppendOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				uids <- m.UID
			}
		})
	}
	wg.Wait()
	close(uids)
	seen := map[uint32]bool{}
	for u := range uids {
		if seen[u] {
			t.Fatalf("UID %d given twice", u)
		}
		seen[u] = true
	}
	st := mustStatus(t, s, "INBOX")
	if len(seen) != writers*each || st.Messages != writers*each || st.UIDNext != writers*each+1 {
		t.Errorf("got %d UIDs, status %+v", len(seen), st)
	}
}

func TestCopyMove(t *testing.T) {
	s, _ := openTest(t, Options{})
	body := randomBytes(t, chunkSize+10)
	a := mustAppend(t, s, "INBOX", body, AppendOptions{Flags: []string{`\Flagged`}})
	b := mustAppend(t, s, "INBOX", []byte("b"), AppendOptions{})
	src, dst, err := s.Copy("INBOX", []uint32{b.UID, a.UID, 50}, "Archive")
	if err != nil || !slices.Equal(src, []uint32{a.UID, b.UID}) || !slices.Equal(dst, []uint32{1, 2}) {
		t.Fatalf("Copy: %v %v %v", src, dst, err)
	}
	if src, dst, err := s.Copy("INBOX", nil, "Archive"); err != nil || src != nil || dst != nil {
		t.Errorf("Copy of no UIDs: %v %v %v", src, dst, err)
	}
	msgs, _ := s.Messages("Archive")
	if len(msgs) != 2 || !slices.Equal(msgs[0].Flags, []string{`\Flagged`}) || !msgs[0].InternalDate.Equal(a.InternalDate) {
		t.Fatalf("copied: %+v", msgs)
	}
	// The copy shares the body; expunging the original must keep it.
	if _, err := s.StoreFlags("INBOX", []uint32{a.UID}, FlagsAdd, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expunge("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readBody(t, s, "Archive", 1), body) {
		t.Fatal("copy's body lost when the original was expunged")
	}
	src, dst, err = s.Move("Archive", []uint32{1}, "Trash")
	if err != nil || len(src) != 1 || len(dst) != 1 {
		t.Fatalf("Move: %v %v %v", src, dst, err)
	}
	if !bytes.Equal(readBody(t, s, "Trash", dst[0]), body) {
		t.Fatal("moved body differs")
	}
	if st := mustStatus(t, s, "Archive"); st.Messages != 1 || st.UIDNext != 3 {
		t.Errorf("Archive after move: %+v", st)
	}
	if _, _, err := s.Move("INBOX", []uint32{1}, "Nope"); !errors.Is(err, ErrNoMailbox) {
		t.Errorf("move to missing: %v", err)
	}
}

func TestManyMessagesSpanTransactions(t *testing.T) {
	s, _ := openTest(t, Options{})
	const n = 2*maxBatchOps + 10
	var uids []uint32
	for i := range n {
		uids = append(uids, mustAppend(t, s, "INBOX", fmt.Appendf(nil, "m%d", i), AppendOptions{}).UID)
	}
	if _, err := s.StoreFlags("INBOX", uids, FlagsAdd, []string{`\Seen`}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Move("INBOX", uids, "Archive"); err != nil {
		t.Fatal(err)
	}
	in, arch := mustStatus(t, s, "INBOX"), mustStatus(t, s, "Archive")
	if in.Messages != 0 || arch.Messages != n || arch.Unseen != 0 {
		t.Fatalf("INBOX %+v, Archive %+v", in, arch)
	}
	if err := s.DeleteMailbox("Archive"); err != nil {
		t.Fatal(err)
	}
	if keys, _ := s.keysWithPrefix([]byte{tagChunk}); len(keys) != 0 {
		t.Errorf("%d chunks left after deleting the mailbox", len(keys))
	}
}

func TestOpenMessageSnapshot(t *testing.T) {
	s, _ := openTest(t, Options{})
	body := randomBytes(t, 3*chunkSize)
	m := mustAppend(t, s, "INBOX", body, AppendOptions{Flags: []string{`\Deleted`}})
	r, err := s.OpenMessage("INBOX", m.UID)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head := make([]byte, 10)
	if _, err := r.Read(head); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expunge("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	var rest bytes.Buffer
	if _, err := rest.ReadFrom(r); err != nil {
		t.Fatalf("reading after expunge: %v", err)
	}
	if !bytes.Equal(append(head, rest.Bytes()...), body) {
		t.Error("snapshot body differs")
	}
}

func TestLargeFlagSetsOnManyMessages(t *testing.T) {
	s, _ := openTest(t, Options{})
	var uids []uint32
	for i := range maxBatchOps + 50 {
		uids = append(uids, mustAppend(t, s, "INBOX", fmt.Appendf(nil, "m%d", i), AppendOptions{}).UID)
	}
	var kws []string
	for i := range maxMessageFlags {
		kws = append(kws, fmt.Sprintf("k%03d%s", i, bytes.Repeat([]byte{'x'}, maxKeywordLen-4)))
	}
	ms, err := s.StoreFlags("INBOX", uids, FlagsReplace, kws)
	if err != nil || len(ms) != len(uids) {
		t.Fatalf("StoreFlags: %d messages, %v", len(ms), err)
	}
	if _, err := s.StoreFlags("INBOX", uids[:1], FlagsAdd, []string{"one-too-many"}); !errors.Is(err, ErrBadFlag) {
		t.Errorf("flag limit: %v", err)
	}
	if _, _, err := s.Copy("INBOX", uids, "Archive"); err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.Messages("Archive")
	if len(msgs) != len(uids) || len(msgs[len(msgs)-1].Flags) != maxMessageFlags {
		t.Errorf("copied %d messages", len(msgs))
	}
}

// A conditional store changes only the messages unchanged since the given
// MODSEQ, in one transaction, and names the others.
func TestStoreFlagsUnchangedSince(t *testing.T) {
	s, _ := openTest(t, Options{})
	a := mustAppend(t, s, "INBOX", []byte("a"), AppendOptions{})
	b := mustAppend(t, s, "INBOX", []byte("b"), AppendOptions{})
	since := b.ModSeq
	if _, err := s.StoreFlags("INBOX", []uint32{b.UID}, FlagsAdd, []string{"$Label1"}); err != nil {
		t.Fatal(err)
	}
	updated, modified, err := s.StoreFlagsUnchangedSince("INBOX", []uint32{a.UID, b.UID, 99}, FlagsAdd, []string{`\Flagged`}, since)
	if err != nil {
		t.Fatal(err)
	}
	if len(updated) != 1 || updated[0].UID != a.UID || !slices.Equal(updated[0].Flags, []string{`\Flagged`}) {
		t.Errorf("updated %+v, want only message a flagged", updated)
	}
	if !slices.Equal(modified, []uint32{b.UID}) {
		t.Errorf("modified %v, want [%d]", modified, b.UID)
	}
	l, err := s.List("INBOX")
	if err != nil || hasFlag(l.Messages[1].Flags, `\Flagged`) || l.ModSeq != updated[0].ModSeq || l.UIDNext != b.UID+1 {
		t.Errorf("after: %+v, %v", l, err)
	}
	// UNCHANGEDSINCE 0 leaves every message alone.
	if updated, modified, _ := s.StoreFlagsUnchangedSince("INBOX", []uint32{a.UID}, FlagsAdd, []string{`\Seen`}, 0); len(updated) != 0 || len(modified) != 1 {
		t.Errorf("UNCHANGEDSINCE 0: updated %+v, modified %v", updated, modified)
	}
}

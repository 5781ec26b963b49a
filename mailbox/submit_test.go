package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"
)

// testSubmission is a message from the user to the recipients rows name
// (outbound), with the user among them if self, and a Sent copy keyed by
// sentKey, whose body is the recipients' body with a Bcc line.
func testSubmission(body []byte, sentKey [16]byte, self bool, rows ...byte) Submission {
	sub := Submission{Body: bytes.NewReader(body), Sent: &SentCopy{
		Body:    bytes.NewReader(append([]byte("Bcc: <x>\r\n"), body...)),
		Options: AppendOptions{Flags: []string{`\Seen`}, EnvelopeID: &sentKey},
	}}
	for _, id := range rows {
		o := outbound(id)
		o.SentCopy = sentKey
		sub.Rows = append(sub.Rows, o)
	}
	if self {
		selfKey := sentKey
		selfKey[15] ^= 0xff
		sub.Self = &AppendOptions{EnvelopeID: &selfKey}
	}
	return sub
}

func rowIDs(rows []Outbound) []byte {
	var ids []byte
	for _, o := range rows {
		ids = append(ids, o.ID[0])
	}
	slices.Sort(ids)
	return ids
}

func readOutbound(t *testing.T, s *Store, id byte) []byte {
	t.Helper()
	r, err := s.OpenOutbound([16]byte{id})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func storedChunks(t *testing.T, s *Store) int {
	t.Helper()
	keys, err := s.keysWithPrefix([]byte{tagChunk})
	if err != nil {
		t.Fatal(err)
	}
	return len(keys)
}

// The rows, the INBOX copy and the Sent copy of a submission are stored
// together; the rows and the INBOX copy share one body.
func TestSubmitStoresEveryCopy(t *testing.T) {
	s, dir := openTest(t, Options{})
	body := randomBytes(t, 2*chunkSize+7)
	done, err := s.Submit(testSubmission(body, [16]byte{9}, true, 1, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	if got := rowIDs(done.Queued); !bytes.Equal(got, []byte{1, 2, 3}) || len(done.Present) != 0 {
		t.Fatalf("queued %v, present %v", got, done.Present)
	}
	if done.Self.Mailbox != Inbox || done.Self.Duplicate || done.Sent.Mailbox != Sent || done.Sent.Duplicate {
		t.Fatalf("copies: self %+v, sent %+v", done.Self, done.Sent)
	}
	s.Close()
	s = reopen(t, dir, Options{})
	for _, id := range []byte{1, 2, 3} {
		if !bytes.Equal(readOutbound(t, s, id), body) {
			t.Errorf("row %d: body differs", id)
		}
	}
	if !bytes.Equal(readBody(t, s, Inbox, done.Self.Message.UID), body) {
		t.Error("INBOX copy differs")
	}
	sent := readBody(t, s, Sent, done.Sent.Message.UID)
	if !bytes.HasPrefix(sent, []byte("Bcc: <x>\r\n")) || !bytes.Equal(sent[10:], body) {
		t.Error("Sent copy differs")
	}
	if msgs, _ := s.Messages(Sent); len(msgs) != 1 || !slices.Contains(msgs[0].Flags, `\Seen`) {
		t.Errorf("Sent: %+v", msgs)
	}
	if n := storedChunks(t, s); n != 6 {
		t.Errorf("%d chunks, want 3 of the shared body and 3 of the Sent copy", n)
	}
	if s.outCount != 3 || s.outBytes != 3*int64(len(body)) {
		t.Errorf("outbox totals %d, %d", s.outCount, s.outBytes)
	}
	for _, id := range []byte{1, 2, 3} {
		if err := s.DeleteOutbound([16]byte{id}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(readBody(t, s, Inbox, done.Self.Message.UID), body) {
		t.Error("INBOX copy lost with the rows")
	}
	uid := []uint32{done.Self.Message.UID}
	if _, err := s.StoreFlags(Inbox, uid, FlagsAdd, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Expunge(Inbox, uid); err != nil || len(got) != 1 {
		t.Fatalf("expunged %v, %v", got, err)
	}
	if n := storedChunks(t, s); n != 3 {
		t.Errorf("%d chunks once rows and INBOX copy are gone, want the Sent copy's 3", n)
	}
}

// Submitting the same message again queues only the rows missing, and
// stores no copy twice.
func TestSubmitAgainKeepsTheRest(t *testing.T) {
	s, _ := openTest(t, Options{})
	body := randomBytes(t, chunkSize+1)
	if _, err := s.Submit(testSubmission(body, [16]byte{9}, true, 1, 2)); err != nil {
		t.Fatal(err)
	}
	chunks := storedChunks(t, s)
	done, err := s.Submit(testSubmission(body, [16]byte{9}, true, 1, 2, 3, 3))
	if err != nil {
		t.Fatal(err)
	}
	if got := rowIDs(done.Queued); !bytes.Equal(got, []byte{3}) {
		t.Errorf("queued %v, want row 3", got)
	}
	if got := rowIDs(done.Present); !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("present %v, want rows 1, 2 and the second 3", got)
	}
	if !done.Self.Duplicate || done.Self.Message.UID != 1 || !done.Sent.Duplicate || done.Sent.Message.UID != 1 {
		t.Errorf("copies stored again: self %+v, sent %+v", done.Self, done.Sent)
	}
	if n := storedChunks(t, s); n != chunks+2 {
		t.Errorf("%d chunks, want %d: the new row's body only", n, chunks+2)
	}
	if s.outCount != 3 {
		t.Errorf("outbox count %d", s.outCount)
	}
	// Everything present already: nothing is written, and no body is kept.
	done, err = s.Submit(testSubmission(body, [16]byte{9}, true, 1, 2, 3))
	if err != nil || len(done.Queued) != 0 || len(done.Present) != 3 {
		t.Fatalf("third submission: %+v, %v", done, err)
	}
	if n := storedChunks(t, s); n != chunks+2 {
		t.Errorf("%d chunks after a submission that stored nothing, want %d", n, chunks+2)
	}
}

// A submission the outbox has no room for is refused whole: no row, no
// INBOX copy, no Sent copy, no body left behind.
func TestSubmitOutboxFullStoresNothing(t *testing.T) {
	opts := Options{MaxOutboxCount: 3, MaxOutboxBytes: 1 << 20}
	s, _ := openTest(t, opts)
	if err := s.Enqueue(outbound(1), bytes.NewReader([]byte("earlier"))); err != nil {
		t.Fatal(err)
	}
	check := func(what string, sub Submission) {
		t.Helper()
		_, err := s.Submit(sub)
		if !errors.Is(err, ErrOutboxFull) {
			t.Fatalf("%s: %v, want ErrOutboxFull", what, err)
		}
		if list, _ := s.Outbox(); len(list) != 1 || s.outCount != 1 || s.outBytes != 7 {
			t.Errorf("%s: %d rows, totals %d, %d", what, len(list), s.outCount, s.outBytes)
		}
		for _, box := range []string{Inbox, Sent} {
			if st := mustStatus(t, s, box); st.Messages != 0 {
				t.Errorf("%s: %d messages in %s", what, st.Messages, box)
			}
		}
		if n := storedChunks(t, s); n != 1 {
			t.Errorf("%s: %d chunks, want the earlier row's 1", what, n)
		}
	}
	check("over count", testSubmission(randomBytes(t, chunkSize+1), [16]byte{9}, true, 2, 3, 4))
	check("over bytes", testSubmission(randomBytes(t, 600<<10), [16]byte{9}, true, 2, 3))
	// Room for two rows of that size is room enough.
	if _, err := s.Submit(testSubmission(randomBytes(t, 500<<10), [16]byte{9}, true, 2, 3)); err != nil {
		t.Fatal(err)
	}
}

// Without a Sent mailbox the rows are queued and no Sent copy is kept.
func TestSubmitWithoutSentMailbox(t *testing.T) {
	s, _ := openTest(t, Options{})
	if err := s.DeleteMailbox(Sent); err != nil {
		t.Fatal(err)
	}
	done, err := s.Submit(testSubmission(randomBytes(t, chunkSize+1), [16]byte{9}, false, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(done.Queued) != 1 || done.Sent.Mailbox != "" || done.Self.Mailbox != "" {
		t.Errorf("%+v", done)
	}
	if n := storedChunks(t, s); n != 2 {
		t.Errorf("%d chunks, want the row's 2", n)
	}
	if err := s.CreateSpecialMailbox("Sent Mail", `\Sent`); err != nil {
		t.Fatal(err)
	}
	if name, err := s.SentMailbox(); name != "Sent Mail" || err != nil {
		t.Errorf("SentMailbox: %q, %v", name, err)
	}
	done, err = s.Submit(testSubmission([]byte("hi"), [16]byte{8}, false, 2))
	if err != nil || done.Sent.Mailbox != "Sent Mail" {
		t.Errorf("Sent copy in %q, %v", done.Sent.Mailbox, err)
	}
}

// A message to more recipients than a group commit holds writes is still
// one transaction.
func TestSubmitManyRecipients(t *testing.T) {
	s, _ := openTest(t, Options{})
	var ids []byte
	for id := 1; id <= 150; id++ {
		ids = append(ids, byte(id))
	}
	done, err := s.Submit(testSubmission([]byte("to many"), [16]byte{9}, true, ids...))
	if err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Outbox(); len(done.Queued) != 150 || len(list) != 150 || s.outCount != 150 {
		t.Errorf("queued %d, outbox %d rows, count %d", len(done.Queued), len(list), s.outCount)
	}
}

// Concurrent submissions, some of the same message, share commits and
// store each row and copy once, with exact outbox totals.
func TestSubmitConcurrent(t *testing.T) {
	s, dir := openTest(t, Options{})
	const messages, rows = 8, 3
	body := func(m int) []byte {
		if m%2 == 0 {
			return bytes.Repeat([]byte{byte(m)}, chunkSize+m) // in chunks
		}
		return []byte(fmt.Sprintf("message %d", m)) // inline
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*messages)
	for g := range 2 * messages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := g % messages
			var ids []byte
			for r := range rows {
				ids = append(ids, byte(1+m*rows+r))
			}
			_, err := s.Submit(testSubmission(body(m), [16]byte{byte(m + 1)}, m == 0, ids...))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var want int64
	for m := range messages {
		want += rows * int64(len(body(m)))
	}
	checkTotals := func(s *Store) {
		t.Helper()
		list, err := s.Outbox()
		if err != nil || len(list) != messages*rows || s.outCount != messages*rows || s.outBytes != want {
			t.Fatalf("outbox %d rows (%v), totals %d, %d; want %d rows, %d bytes",
				len(list), err, s.outCount, s.outBytes, messages*rows, want)
		}
		for _, o := range list {
			if m := int(o.ID[0]-1) / rows; !bytes.Equal(readOutbound(t, s, o.ID[0]), body(m)) {
				t.Errorf("row %d: body differs", o.ID[0])
			}
		}
		if st := mustStatus(t, s, Sent); st.Messages != messages {
			t.Errorf("%d Sent copies, want %d", st.Messages, messages)
		}
		if st := mustStatus(t, s, Inbox); st.Messages != 1 {
			t.Errorf("%d INBOX copies, want 1", st.Messages)
		}
	}
	checkTotals(s)
	s.Close()
	checkTotals(reopen(t, dir, Options{}))
}

// Submit checks the options of its copies before it stores anything.
func TestSubmitChecksOptions(t *testing.T) {
	s, _ := openTest(t, Options{})
	sub := testSubmission([]byte("x"), [16]byte{9}, false, 1)
	sub.Sent.Options.Date = time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.Submit(sub); err == nil {
		t.Error("date out of range accepted")
	}
	sub = testSubmission([]byte("x"), [16]byte{9}, true, 1)
	sub.Self.Flags = []string{`\Bogus`}
	if _, err := s.Submit(sub); err == nil {
		t.Error("bad flag accepted")
	}
	if list, _ := s.Outbox(); len(list) != 0 {
		t.Errorf("%d rows queued by refused submissions", len(list))
	}
}

// The Sent copy follows the Sent mailbox as mailboxes are renamed, added
// and deleted between submissions, as SentMailbox finds it.
func TestSubmitFollowsTheSentMailbox(t *testing.T) {
	s, _ := openTest(t, Options{})
	steps := []struct {
		change func() error
		want   string
	}{
		{func() error { return nil }, Sent},
		{func() error { return s.RenameMailbox(Sent, "Archive/Sent") }, "Archive/Sent"},
		{func() error { return s.CreateSpecialMailbox("A Sent", `\Sent`) }, "A Sent"},
		{func() error { return s.DeleteMailbox("A Sent") }, "Archive/Sent"},
		{func() error { return s.DeleteMailbox("Archive/Sent") }, ""},
		{func() error { return s.CreateMailbox(Sent) }, Sent},
	}
	for i, step := range steps {
		if err := step.change(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if name, err := s.SentMailbox(); name != step.want || err != nil {
			t.Fatalf("step %d: SentMailbox %q, %v; want %q", i, name, err, step.want)
		}
		for k := range 2 { // the second finds it as the first left it
			done, err := s.Submit(testSubmission([]byte(fmt.Sprintf("m%d.%d", i, k)), [16]byte{byte(10 + 2*i + k)}, false, byte(100+2*i+k)))
			if err != nil || done.Sent.Mailbox != step.want {
				t.Errorf("step %d, submission %d: Sent copy in %q (%v), want %q", i, k, done.Sent.Mailbox, err, step.want)
			}
		}
	}
}

// A Sent copy without a body of its own (nothing to add to the recipients'
// copy) shares the recipients' body: it is stored once, outlives the rows,
// and goes with the last reference. Submitted again, or to no one else,
// nothing is left behind.
func TestSubmitSharedSentCopy(t *testing.T) {
	s, dir := openTest(t, Options{})
	body := randomBytes(t, 2*chunkSize+7)
	shared := func(key byte, rows ...byte) Submission {
		sub := testSubmission(body, [16]byte{key}, false, rows...)
		sub.Sent.Body = nil
		return sub
	}
	done, err := s.Submit(shared(9, 1, 2))
	if err != nil || len(done.Queued) != 2 || done.Sent.Mailbox != Sent || done.Sent.Duplicate {
		t.Fatalf("submit: %+v, %v", done, err)
	}
	if n := storedChunks(t, s); n != 3 {
		t.Errorf("%d chunks, want the one body's 3", n)
	}
	s.Close()
	s = reopen(t, dir, Options{})
	for _, id := range []byte{1, 2} {
		if err := s.DeleteOutbound([16]byte{id}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(readBody(t, s, Sent, done.Sent.Message.UID), body) {
		t.Error("Sent copy differs, or was lost with the rows")
	}
	if n := storedChunks(t, s); n != 3 {
		t.Errorf("%d chunks once the rows are gone, want the Sent copy's 3", n)
	}
	again, err := s.Submit(shared(9, 1))
	if err != nil || !again.Sent.Duplicate || len(again.Queued) != 1 {
		t.Fatalf("submitted again: %+v, %v", again, err)
	}
	if err := s.DeleteOutbound([16]byte{1}); err != nil {
		t.Fatal(err)
	}
	if n := storedChunks(t, s); n != 3 {
		t.Errorf("%d chunks after a second submission was delivered, want the Sent copy's 3", n)
	}
	uid := []uint32{done.Sent.Message.UID}
	if _, err := s.StoreFlags(Sent, uid, FlagsAdd, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Expunge(Sent, uid); err != nil || len(got) != 1 {
		t.Fatalf("expunged %v, %v", got, err)
	}
	if n := storedChunks(t, s); n != 0 {
		t.Errorf("%d chunks once every copy is gone, want none", n)
	}
	only, err := s.Submit(shared(7)) // no row, no copy to self: the Sent copy alone
	if err != nil || only.Sent.Mailbox != Sent || !bytes.Equal(readBody(t, s, Sent, only.Sent.Message.UID), body) {
		t.Fatalf("Sent copy alone: %+v, %v", only, err)
	}
	if n := storedChunks(t, s); n != 3 {
		t.Errorf("%d chunks for a Sent copy alone, want 3", n)
	}
}

// A body taken ahead of its submission (TakeBody) is what the copies
// reference once submitted; one refused, one whose rows were queued
// already, one no copy needs and one dropped leave no chunk behind, and
// one left untaken by a crash is gone after the next open.
func TestSubmitTakenBody(t *testing.T) {
	s, dir := openTest(t, Options{MaxOutboxCount: 3})
	body := randomBytes(t, 2*chunkSize+7)
	take := func() *Body {
		t.Helper()
		b, err := s.TakeBody(bytes.NewReader(body))
		if err != nil || b.Size() != int64(len(body)) {
			t.Fatalf("take body: size %d, %v", b.Size(), err)
		}
		return &b
	}
	taken := func(key byte, rows ...byte) Submission {
		sub := testSubmission(nil, [16]byte{key}, false, rows...)
		sub.Body, sub.Sent.Body, sub.Taken = nil, nil, take()
		return sub
	}
	done, err := s.Submit(taken(9, 1, 2))
	if err != nil || len(done.Queued) != 2 || done.Sent.Mailbox != Sent {
		t.Fatalf("submit: %+v, %v", done, err)
	}
	if !bytes.Equal(readOutbound(t, s, 1), body) || !bytes.Equal(readBody(t, s, Sent, done.Sent.Message.UID), body) {
		t.Error("a copy differs from the body taken")
	}
	if n := storedChunks(t, s); n != 3 {
		t.Errorf("%d chunks, want the one body's 3", n)
	}
	if _, err := s.Submit(taken(8, 3, 4)); !errors.Is(err, ErrOutboxFull) {
		t.Fatalf("over the outbox count: %v, want ErrOutboxFull", err)
	}
	again, err := s.Submit(taken(9, 1, 2))
	if err != nil || len(again.Present) != 2 || !again.Sent.Duplicate {
		t.Fatalf("submitted again: %+v, %v", again, err)
	}
	bad := taken(7, 3)
	bad.Sent.Options.Flags = []string{"bad flag"}
	if _, err := s.Submit(bad); err == nil {
		t.Fatal("a Sent copy with a bad flag was taken")
	}
	none := taken(6) // no row, no copy to self, no Sent copy: nothing needs the body
	none.Sent = nil
	if _, err := s.Submit(none); err != nil {
		t.Fatal(err)
	}
	s.DropBody(*take())
	if n := storedChunks(t, s); n != 3 {
		t.Errorf("%d chunks after bodies refused, duplicate, unused and dropped, want the first's 3", n)
	}
	take() // and the node stops before submitting it
	s.Close()
	s = reopen(t, dir, Options{})
	if n := storedChunks(t, s); n != 3 {
		t.Errorf("%d chunks after a body was left untaken and the store reopened, want 3", n)
	}
}

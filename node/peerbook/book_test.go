package peerbook

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/relay"
)

// testKey returns a fixed key and its address.
func testKey(t testing.TB, seed byte) (ed25519.PrivateKey, envelope.Address) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	a, err := envelope.AddressFromKey(priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return priv, a
}

func testAddr(t testing.TB, seed byte) envelope.Address {
	_, a := testKey(t, seed)
	return a
}

// openBook opens the book of self over the store in dir; it is closed
// when the test ends unless the caller closes the returned store first.
func openBook(t *testing.T, dir string, self envelope.Address) (*Book, *mailbox.Store) {
	t.Helper()
	store, err := mailbox.Open(dir, mailbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	b, err := Open(store, self, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return b, store
}

// signedRecord returns the wire form of member's record naming relays.
func signedRecord(t *testing.T, member ed25519.PrivateKey, seq uint64, relays ...envelope.Address) []byte {
	t.Helper()
	rec, err := relay.NewRecord(member, relays, seq, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	wire, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

func TestRecordsLearnNewerOnlyAndPersist(t *testing.T) {
	dir := t.TempDir()
	self := testAddr(t, 9)
	key, member := testKey(t, 1)
	r1, r2 := testAddr(t, 2), testAddr(t, 3)
	b, store := openBook(t, dir, self)
	if _, ok := b.Record(member); ok {
		t.Fatal("a record known before any was learned")
	}
	if err := b.LearnRecord(member, signedRecord(t, key, 2, r1)); err != nil {
		t.Fatal(err)
	}
	if err := b.LearnRecord(member, signedRecord(t, key, 1, r2)); err != nil {
		t.Fatalf("an older record is no error: %v", err)
	}
	if rec, ok := b.Record(member); !ok || !slices.Equal(rec.Relays, []envelope.Address{r1}) {
		t.Fatalf("record = %v %v, want the newer one naming %s", rec.Relays, ok, r1)
	}
	other, _ := testKey(t, 4)
	if err := b.LearnRecord(member, signedRecord(t, other, 3, r2)); err == nil {
		t.Fatal("a record signed by another key was taken")
	}
	store.Close()

	b, _ = openBook(t, dir, self)
	if rec, ok := b.Record(member); !ok || rec.Seq != 2 {
		t.Fatalf("after restart: record %v %v, want seq 2", rec, ok)
	}
}

// asker answers RELAYS with a fixed record and counts the questions.
type asker struct {
	wire  []byte
	asked int
}

func (a *asker) Yggpost() bool { return true }
func (a *asker) Relays(context.Context, envelope.Address) ([]byte, error) {
	a.asked++
	if a.wire == nil {
		return nil, errors.New("550 no record")
	}
	return a.wire, nil
}

func TestRefreshRecordAsksAtMostOncePerPeriod(t *testing.T) {
	b, _ := openBook(t, t.TempDir(), testAddr(t, 9))
	key, member := testKey(t, 1)
	none := &asker{}
	b.RefreshRecord(context.Background(), none, member)
	b.RefreshRecord(context.Background(), none, member)
	if none.asked != 1 {
		t.Fatalf("a node without relays was asked %d times, want once a day", none.asked)
	}
	fresh := &asker{wire: signedRecord(t, key, uint64(time.Now().UnixNano()), testAddr(t, 2))}
	b.records.asked.Remove(member) // a day later
	b.RefreshRecord(context.Background(), fresh, member)
	if _, ok := b.Record(member); !ok || fresh.asked != 1 {
		t.Fatalf("record after asking: %v (asked %d times)", ok, fresh.asked)
	}
	b.records.asked.Remove(member)
	b.RefreshRecord(context.Background(), fresh, member)
	if fresh.asked != 1 {
		t.Fatal("a node was asked again although its record is younger than a day")
	}
}

func TestCorrespondentsMostRecentFirstBoundedAndPersisted(t *testing.T) {
	dir := t.TempDir()
	self := testAddr(t, 0)
	b, store := openBook(t, dir, self)
	if err := b.Touch(self); err != nil || len(b.Correspondents()) != 0 {
		t.Fatalf("the node itself became a correspondent: %v %v", b.Correspondents(), err)
	}
	for i := range maxContacts + 5 {
		if err := b.Touch(testAddr(t, byte(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Touch(testAddr(t, 10)); err != nil {
		t.Fatal(err)
	}
	got := b.Correspondents()
	if len(got) != maxContacts || got[0] != testAddr(t, 10) || got[1] != testAddr(t, maxContacts+5) {
		t.Fatalf("%d correspondents, first %s, second %s", len(got), got[0], got[1])
	}
	store.Close()
	b, _ = openBook(t, dir, self)
	// Moving a known correspondent to the front is not written; a new one is.
	if after := b.Correspondents(); len(after) != maxContacts || after[0] != got[1] {
		t.Fatalf("after restart: %d correspondents, first %s, want %s", len(after), after[0], got[1])
	}
}

func TestUnreachableMarks(t *testing.T) {
	b, _ := openBook(t, t.TempDir(), testAddr(t, 0))
	x, y := testAddr(t, 1), testAddr(t, 2)
	b.MarkUnreachable(x)
	b.MarkUnreachable(y)
	if !b.RecentlyUnreachable(x) || !b.RecentlyUnreachable(y) {
		t.Fatal("marks not kept")
	}
	b.Reachable(x)
	if b.RecentlyUnreachable(x) || !b.RecentlyUnreachable(y) {
		t.Fatal("Reachable(x) did not clear x alone")
	}
	b.unreachable.since[y] = time.Now().Add(-unreachableFor)
	if b.RecentlyUnreachable(y) {
		t.Fatal("a mark older than unreachableFor still counts")
	}
	b.MarkUnreachable(x)
	b.AllReachable()
	if b.RecentlyUnreachable(x) {
		t.Fatal("AllReachable kept a mark")
	}
}

package relay

import (
	"errors"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// bobRecord signs a record of bob's naming relays, expiring in a day of
// the relay's clock.
func bobRecord(t *testing.T, r *Relay, seq uint64, relays ...envelope.Address) Record {
	t.Helper()
	rec, err := NewRecord(bobKey, relays, seq, r.opts.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func mustRecordOf(t *testing.T, r *Relay, member envelope.Address) (Record, bool) {
	t.Helper()
	rec, ok, err := r.RecordOf(member)
	if err != nil {
		t.Fatalf("RecordOf: %v", err)
	}
	return rec, ok
}

func TestPublishKeepsHighestSeq(t *testing.T) {
	r, c, dir := testRelay(t, nil)
	register(t, r, bobKey, "")
	if _, ok := mustRecordOf(t, r, bobAddr); ok {
		t.Fatal("a record before any was published")
	}
	if err := r.Publish(bobRecord(t, r, 5, r.Address(), carolAddr)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	for _, seq := range []uint64{4, 5} { // older and equal: ignored, no error
		if err := r.Publish(bobRecord(t, r, seq, r.Address())); err != nil {
			t.Fatalf("Publish seq %d: %v", seq, err)
		}
	}
	got, ok := mustRecordOf(t, r, bobAddr)
	if !ok || got.Seq != 5 || len(got.Relays) != 2 {
		t.Fatalf("RecordOf = %+v, %v; want seq 5 with two relays", got, ok)
	}
	newer := bobRecord(t, r, 6, r.Address())
	if err := r.Publish(newer); err != nil {
		t.Fatal(err)
	}
	opts := r.opts
	r.Close()
	r = reopen(t, dir, opts)
	got, ok = mustRecordOf(t, r, bobAddr)
	if !ok || got.Seq != 6 || got.Signature != newer.Signature || got.Verify(c.Now()) != nil {
		t.Fatalf("after reopen RecordOf = %+v, %v; want seq 6", got, ok)
	}
	c.Add(24 * time.Hour)
	if _, ok := mustRecordOf(t, r, bobAddr); ok {
		t.Fatal("an expired record is returned")
	}
	if keys, _ := r.keysWithPrefix([]byte{tagRecord}); len(keys) != 1 {
		t.Fatalf("%d records stored before Expire, want 1", len(keys))
	}
	if _, err := r.Expire(); err != nil {
		t.Fatal(err)
	}
	if keys, _ := r.keysWithPrefix([]byte{tagRecord}); len(keys) != 0 {
		t.Fatalf("%d records left after Expire", len(keys))
	}
}

func TestPublishRefusals(t *testing.T) {
	r, c, _ := testRelay(t, nil)
	forged := bobRecord(t, r, 1, r.Address())
	forged.Seq = 2
	expired := bobRecord(t, r, 1, r.Address())
	if err := r.Publish(bobRecord(t, r, 1, r.Address())); !errors.Is(err, ErrNotMember) {
		t.Fatalf("non-member: %v", err)
	}
	register(t, r, bobKey, "")
	cases := []struct {
		name string
		rec  Record
		want error
	}{
		{"forged", forged, ErrBadSignature},
		{"other relays", bobRecord(t, r, 1, carolAddr), ErrNotListed},
	}
	for _, tc := range cases {
		if err := r.Publish(tc.rec); !errors.Is(err, tc.want) {
			t.Errorf("%s: Publish = %v, want %v", tc.name, err, tc.want)
		}
	}
	c.Add(25 * time.Hour)
	if err := r.Publish(expired); !errors.Is(err, ErrRecordExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, ok := mustRecordOf(t, r, bobAddr); ok {
		t.Fatal("a refused record was stored")
	}
}

func TestUnregisterDeletesRecord(t *testing.T) {
	r, c, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	if err := r.Publish(bobRecord(t, r, 9, r.Address())); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Unregister(bobAddr); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustRecordOf(t, r, bobAddr); ok {
		t.Fatal("record of an unregistered member returned")
	}
	c.Add(time.Second)
	register(t, r, bobKey, "")
	if _, ok := mustRecordOf(t, r, bobAddr); ok {
		t.Fatal("record survived Unregister")
	}
	// A lower seq than the deleted record's is accepted again.
	if err := r.Publish(bobRecord(t, r, 1, r.Address())); err != nil {
		t.Fatal(err)
	}
	if rec, ok := mustRecordOf(t, r, bobAddr); !ok || rec.Seq != 1 {
		t.Fatalf("RecordOf = %+v, %v", rec, ok)
	}
}

func TestRecordOfAllowlistRemoval(t *testing.T) {
	r, _, dir := testRelay(t, func(o *Options) { o.Policy = PolicyAllowlist; o.Allow = []envelope.Address{bobAddr} })
	register(t, r, bobKey, "")
	if err := r.Publish(bobRecord(t, r, 1, r.Address())); err != nil {
		t.Fatal(err)
	}
	opts := r.opts
	opts.Allow = nil
	r.Close()
	r = reopen(t, dir, opts)
	if _, ok := mustRecordOf(t, r, bobAddr); ok {
		t.Fatal("record of an address removed from the allowlist returned")
	}
}

package relay

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

var recordNow = time.Unix(1795325400, 0)

func TestRecordRoundTrip(t *testing.T) {
	relays := []envelope.Address{addrOf(relayKey), carolAddr}
	rec, err := NewRecord(bobKey, relays, 7, recordNow.Add(30*24*time.Hour+time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Verify(recordNow); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	b, err := rec.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if want := recordFixed + 2*32; len(b) != want {
		t.Fatalf("wire form of %d bytes, want %d", len(b), want)
	}
	var got Record
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	if got.Member != bobAddr || got.Seq != 7 || !got.Expires.Equal(rec.Expires) || len(got.Relays) != 2 ||
		got.Relays[0] != relays[0] || got.Relays[1] != relays[1] || got.Signature != rec.Signature {
		t.Fatalf("decoded %+v, want %+v", got, rec)
	}
	if err := got.Verify(recordNow); err != nil {
		t.Fatalf("Verify decoded: %v", err)
	}
	if !got.Lists(carolAddr) || got.Lists(aliceAddr) {
		t.Fatal("Lists is wrong")
	}
	if MaxRecordSize > 4096 {
		t.Fatalf("MaxRecordSize %d does not fit an envelope's sender record chunk", MaxRecordSize)
	}
}

func TestRecordLimits(t *testing.T) {
	r1, r2 := addrOf(relayKey), carolAddr
	many := make([]envelope.Address, MaxRelays+1)
	for i := range many {
		many[i] = addrOf(testKey(byte(0x60 + i)))
	}
	cases := map[string][]envelope.Address{
		"none":        nil,
		"too many":    many,
		"twice":       {r1, r2, r1},
		"member self": {r1, bobAddr},
	}
	for name, relays := range cases {
		if _, err := NewRecord(bobKey, relays, 1, recordNow.Add(time.Hour)); !errors.Is(err, ErrBadRecord) {
			t.Errorf("%s: NewRecord = %v, want ErrBadRecord", name, err)
		}
	}
	if _, err := NewRecord(bobKey, many[:MaxRelays], 1, recordNow.Add(time.Hour)); err != nil {
		t.Fatalf("%d relays: %v", MaxRelays, err)
	}
	if _, err := NewRecord(bobKey[:10], []envelope.Address{r1}, 1, recordNow); !errors.Is(err, ErrBadRecord) {
		t.Fatalf("short key: %v", err)
	}
}

func TestRecordVerifyRefuses(t *testing.T) {
	good, err := NewRecord(bobKey, []envelope.Address{addrOf(relayKey)}, 3, recordNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	forged := good
	forged.Member = aliceAddr
	reseq := good
	reseq.Seq++
	redirected := good
	redirected.Relays = []envelope.Address{carolAddr}
	extended := good
	extended.Expires = good.Expires.Add(time.Hour)
	self := good
	self.Relays = []envelope.Address{bobAddr}
	cases := []struct {
		name string
		rec  Record
		now  time.Time
		want error
	}{
		{"other member", forged, recordNow, ErrBadSignature},
		{"seq changed", reseq, recordNow, ErrBadSignature},
		{"relays changed", redirected, recordNow, ErrBadSignature},
		{"expiry changed", extended, recordNow, ErrBadSignature},
		{"member as relay", self, recordNow, ErrBadRecord},
		{"at expiry", good, good.Expires, ErrRecordExpired},
		{"after expiry", good, good.Expires.Add(time.Second), ErrRecordExpired},
	}
	for _, tc := range cases {
		if err := tc.rec.Verify(tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestRecordDecodeStrict(t *testing.T) {
	rec, _ := NewRecord(bobKey, []envelope.Address{addrOf(relayKey), carolAddr}, 1, recordNow.Add(time.Hour))
	b, _ := rec.MarshalBinary()
	bad := map[string][]byte{
		"empty":         nil,
		"short":         b[:len(b)-1],
		"long":          append(bytes.Clone(b), 0),
		"version":       append([]byte{2}, b[1:]...),
		"count too big": patch(b, 1+32+16, 3),
		"count zero":    patch(b, 1+32+16, 0),
		"duplicate":     patch(b, 1+32+16+1+32, b[1+32+16+1:1+32+16+1+32]...),
	}
	for name, in := range bad {
		var got Record
		if err := got.UnmarshalBinary(in); !errors.Is(err, ErrBadRecord) {
			t.Errorf("%s: UnmarshalBinary = %v, want ErrBadRecord", name, err)
		}
	}
}

// patch returns a copy of b with at overwritten by v.
func patch(b []byte, at int, v ...byte) []byte {
	c := bytes.Clone(b)
	copy(c[at:], v)
	return c
}

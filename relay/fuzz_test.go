package relay

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

func FuzzDecodeHeld(f *testing.F) {
	f.Add(heldRec{size: 300, received: 1, expires: 2, blob: blobID{1}}.encode())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHeld(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if !bytes.Equal(h.encode(), b) {
			t.Fatal("decode then encode changed the record")
		}
	})
}

func FuzzDecodeTime(f *testing.F) {
	f.Add(encodeTime(time.Unix(1795325400, 5)))
	f.Fuzz(func(t *testing.T, b []byte) {
		tm, err := decodeTime(b, "fuzz")
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if !bytes.Equal(encodeTime(tm), b) {
			t.Fatal("decode then encode changed the record")
		}
	})
}

func FuzzReceipt(f *testing.F) {
	rc := CustodyReceipt{Size: 300, Received: time.Unix(1795325400, 0), Expires: time.Unix(1796535000, 0)}
	rc.sign(relayKey)
	seed, _ := rc.MarshalBinary()
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		var c CustodyReceipt
		if err := c.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrBadReceipt) {
				t.Fatalf("error %v does not wrap ErrBadReceipt", err)
			}
			return
		}
		out, _ := c.MarshalBinary()
		if !bytes.Equal(out, b) {
			t.Fatal("decode then encode changed the receipt")
		}
		if c.Verify() == nil && !bytes.Equal(b, seed) {
			t.Fatal("a receipt other than the seed verifies")
		}
	})
}

func FuzzRegistration(f *testing.F) {
	for _, tok := range []string{"", "0123456789abcdef"} {
		g, _ := NewRegistration(bobKey, addrOf(relayKey), time.Unix(1795325400, 0), tok)
		b, _ := g.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var g Registration
		if err := g.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrBadRegistration) {
				t.Fatalf("error %v does not wrap ErrBadRegistration", err)
			}
			return
		}
		out, err := g.MarshalBinary()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("decode then encode: %v", err)
		}
		_ = g.Verify()
	})
}

// FuzzDeposit feeds arbitrary bytes to Deposit, the relay's entry point for
// peers: it must refuse with a typed error or hold exactly those bytes. The
// relay forwards, and the fuzzer picks the depositor: a member (alice),
// whose envelopes for any recipient are held, or not (carol).
func FuzzDeposit(f *testing.F) {
	env, _ := seal(f, aliceKey, bobAddr, []byte("seed"))
	fwd, _ := seal(f, aliceKey, carolAddr, []byte("seed for forwarding"))
	f.Add(env, int64(len(env)), false)
	f.Add(env[:len(env)-1], int64(len(env)), false)
	f.Add(env, int64(10), false)
	f.Add(fwd, int64(len(fwd)), true)
	f.Add(fwd, int64(len(fwd)), false)
	r, _, _ := testRelay(f, func(o *Options) {
		o.MaxEnvelope = 1 << 20
		o.MemberEnvelopes = 1 << 30
		o.Forward = true
	})
	register(f, r, bobKey, "")
	register(f, r, aliceKey, "")
	f.Fuzz(func(t *testing.T, b []byte, size int64, byMember bool) {
		depositor := carolAddr
		if byMember {
			depositor = aliceAddr
		}
		rc, err := r.Deposit(depositor, size, bytes.NewReader(b))
		if err != nil {
			for _, want := range []error{ErrMalformed, ErrTooLarge, ErrNotMember} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("untyped refusal: %v", err)
		}
		if rc.Verify() != nil || rc.Size != size {
			t.Fatalf("bad receipt %+v", rc)
		}
		if rc.Recipient != bobAddr && rc.Recipient != aliceAddr && !byMember {
			t.Fatalf("a non-member deposited for non-member %s", rc.Recipient)
		}
		got := fetch(t, r, rc.Recipient, rc.ID)
		if !rc.Duplicate && !bytes.Equal(got, b[:size]) {
			t.Fatal("held bytes differ from the deposit")
		}
		if err := r.Ack(rc.Recipient, rc.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzRecord decodes arbitrary bytes as a relay record, as a relay does for
// a RECORD command and a node does for a sender record in an envelope: a
// refusal is typed, an accepted record encodes back to the same bytes, and
// no record but the signed seeds verifies.
func FuzzRecord(f *testing.F) {
	now := time.Unix(1795325400, 0)
	var seeds [][]byte
	for n := 1; n <= MaxRelays; n += 7 {
		relays := make([]envelope.Address, n)
		for i := range relays {
			relays[i] = addrOf(testKey(byte(0x60 + i)))
		}
		rec, _ := NewRecord(bobKey, relays, uint64(n), now.Add(time.Hour))
		b, _ := rec.MarshalBinary()
		seeds = append(seeds, b)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var rec Record
		if err := rec.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrBadRecord) {
				t.Fatalf("error %v does not wrap ErrBadRecord", err)
			}
			return
		}
		out, err := rec.MarshalBinary()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("decode then encode: %v", err)
		}
		err = rec.Verify(now)
		if err == nil && !slices.ContainsFunc(seeds, func(s []byte) bool { return bytes.Equal(s, b) }) {
			t.Fatal("a record other than the seeds verifies")
		}
		if err != nil && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrRecordExpired) {
			t.Fatalf("untyped Verify error: %v", err)
		}
	})
}

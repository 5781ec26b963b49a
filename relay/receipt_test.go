package relay

import (
	"errors"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

func TestReceiptWireAndSignature(t *testing.T) {
	r, _, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	env, _ := seal(t, aliceKey, bobAddr, []byte("r"))
	rc := deposit(t, r, env)
	b, err := rc.MarshalBinary()
	if err != nil || len(b) != ReceiptSize {
		t.Fatalf("MarshalBinary = %d bytes, %v", len(b), err)
	}
	var back CustodyReceipt
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(); err != nil {
		t.Fatal(err)
	}
	rc.Duplicate = false
	if back != rc {
		t.Fatalf("round trip: %+v != %+v", back, rc)
	}
	// Every byte of the wire form is covered: flipping any fails to decode
	// or to verify.
	for i := range b {
		c := append([]byte(nil), b...)
		c[i] ^= 0x01
		var x CustodyReceipt
		if err := x.UnmarshalBinary(c); err == nil && x.Verify() == nil {
			t.Fatalf("flipping byte %d still verifies", i)
		}
	}
	for _, c := range [][]byte{nil, b[:len(b)-1], append(b, 0)} {
		if err := back.UnmarshalBinary(c); !errors.Is(err, ErrBadReceipt) {
			t.Fatalf("%d bytes: %v", len(c), err)
		}
	}
	if err := rc.Check(r.Address(), bobAddr, rc.ID, int64(len(env))); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := rc.Check(r.Address(), carolAddr, rc.ID, int64(len(env))); !errors.Is(err, ErrBadReceipt) {
		t.Fatalf("Check with another recipient: %v", err)
	}
	if err := rc.Check(aliceAddr, bobAddr, rc.ID, int64(len(env))); !errors.Is(err, ErrBadReceipt) {
		t.Fatalf("Check with another relay: %v", err)
	}
	if err := rc.Check(r.Address(), bobAddr, rc.ID, int64(len(env))+1); !errors.Is(err, ErrBadReceipt) {
		t.Fatalf("Check with another size: %v", err)
	}
	later := rc
	later.Expires = later.Expires.Add(time.Hour)
	if err := later.Verify(); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("extended expiry verifies: %v", err)
	}
}

func TestReadCustodyReceipt(t *testing.T) {
	r, _, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	env, _ := seal(t, aliceKey, bobAddr, []byte("r"))
	rc := deposit(t, r, env)
	wire, err := rc.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadCustodyReceipt(wire, r.Address(), bobAddr, rc.ID)
	if err != nil || got.Expires != rc.Expires {
		t.Fatalf("ReadCustodyReceipt = %+v, %v", got, err)
	}
	if _, err := ReadCustodyReceipt(wire, r.Address(), bobAddr, envelopeIDPlusOne(rc.ID)); !errors.Is(err, ErrBadReceipt) {
		t.Fatalf("a receipt for another envelope: %v", err)
	}
	if _, err := ReadCustodyReceipt(wire, aliceAddr, bobAddr, rc.ID); !errors.Is(err, ErrBadReceipt) {
		t.Fatalf("a receipt from another relay: %v", err)
	}
	if _, err := ReadCustodyReceipt(wire[1:], r.Address(), bobAddr, rc.ID); !errors.Is(err, ErrBadReceipt) {
		t.Fatalf("a cut receipt: %v", err)
	}
}

func TestRegistrationWire(t *testing.T) {
	for _, tok := range []string{"", "0123456789abcdef", string(make255())} {
		g, err := NewRegistration(bobKey, addrOf(relayKey), time.Unix(1795325400, 0), tok)
		if err != nil {
			t.Fatal(err)
		}
		b, err := g.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Registration
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if err := back.Verify(); err != nil || back != g {
			t.Fatalf("round trip: %v, %+v", err, back)
		}
		if err := back.UnmarshalBinary(b[:len(b)-1]); !errors.Is(err, ErrBadRegistration) {
			t.Fatalf("short: %v", err)
		}
	}
	if _, err := NewRegistration(bobKey, addrOf(relayKey), time.Now(), string(append(make255(), 'x'))); !errors.Is(err, ErrBadRegistration) {
		t.Fatalf("256-byte token: %v", err)
	}
}

func make255() []byte {
	b := make([]byte, MaxTokenLen)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

// envelopeIDPlusOne returns an id that differs from id in its last byte.
func envelopeIDPlusOne(id envelope.ID) envelope.ID {
	id[len(id)-1]++
	return id
}

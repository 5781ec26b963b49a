package envelope

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"strconv"
	"testing"
)

// TestRecordRoundTrip seals messages of several sizes with records of
// several sizes and opens them: version 2, same message, same record.
func TestRecordRoundTrip(t *testing.T) {
	to := addrOf(t, bob)
	for _, rlen := range []int{1, 100, MaxRecordSize} {
		for _, mlen := range []int{0, 1, MaxChunkData, 3*MaxChunkData + 7} {
			name := "record " + strconv.Itoa(rlen) + " message " + strconv.Itoa(mlen)
			record := randomBody(rlen, uint64(rlen))
			body := randomBody(mlen, uint64(mlen)+1)
			env := sealRecord(t, alice, to, NewID(), body, record)
			if env[len(Magic)] != Version2 {
				t.Fatalf("%s: version byte %d, want 2", name, env[len(Magic)])
			}
			o, err := Open(bytes.NewReader(env), bob)
			if err != nil {
				t.Fatalf("%s: Open: %v", name, err)
			}
			if !bytes.Equal(o.Record(), record) || o.Verified() {
				t.Fatalf("%s: after Open record %d bytes, verified %v", name, len(o.Record()), o.Verified())
			}
			got, err := io.ReadAll(o)
			if err != nil || !bytes.Equal(got, body) || !o.Verified() || o.Sender() != addrOf(t, alice) {
				t.Fatalf("%s: read %d bytes, %v, verified %v", name, len(got), err, o.Verified())
			}
			if !bytes.Equal(o.Record(), record) {
				t.Fatalf("%s: record changed while reading", name)
			}
		}
	}
}

// TestRecordWriteTo reads a version 2 envelope through WriteTo.
func TestRecordWriteTo(t *testing.T) {
	body := randomBody(2*MaxChunkData+3, 11)
	env := sealRecord(t, alice, addrOf(t, bob), NewID(), body, []byte("relays: r1"))
	o, err := Open(bytes.NewReader(env), bob)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if n, err := o.WriteTo(&out); err != nil || n != int64(len(body)) || !bytes.Equal(out.Bytes(), body) {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	if !o.Verified() || string(o.Record()) != "relays: r1" {
		t.Fatalf("verified %v, record %q", o.Verified(), o.Record())
	}
}

// TestSealWithoutRecord: no record (nil or empty) writes exactly version 1,
// and a version 1 envelope has no record.
func TestSealWithoutRecord(t *testing.T) {
	body := []byte("Subject: hi\r\n\r\nhello\r\n")
	for _, rec := range [][]byte{nil, {}} {
		env := sealRecord(t, alice, addrOf(t, bob), NewID(), body, rec)
		if env[len(Magic)] != Version1 || int64(len(env)) != SealedSize(int64(len(body))) {
			t.Fatalf("record %v: version %d, %d bytes", rec, env[len(Magic)], len(env))
		}
		got, o, err := openAll(env, bob)
		if err != nil || !bytes.Equal(got, body) || o.Record() != nil {
			t.Fatalf("record %v: %q, %v, record %v", rec, got, err, o.Record())
		}
	}
}

// TestSealRecordTooLong: a record over MaxRecordSize fails before a byte is
// written.
func TestSealRecordTooLong(t *testing.T) {
	var buf bytes.Buffer
	n, err := SealWith(&buf, alice, addrOf(t, bob), NewID(), epoch, bytes.NewReader([]byte("x")),
		SealOptions{Record: make([]byte, MaxRecordSize+1)})
	if err == nil || n != 0 || buf.Len() != 0 {
		t.Fatalf("SealWith with %d-byte record = %d, %v, wrote %d", MaxRecordSize+1, n, err, buf.Len())
	}
}

func TestSealedSizeWith(t *testing.T) {
	for _, m := range []int64{0, 1, 22, MaxChunkData - 1, MaxChunkData, MaxChunkData + 1, 5 * MaxChunkData} {
		if SealedSizeWith(m, 0) != SealedSize(m) {
			t.Fatalf("SealedSizeWith(%d, 0) = %d, SealedSize %d", m, SealedSizeWith(m, 0), SealedSize(m))
		}
		for _, r := range []int{1, 2, 4095, MaxRecordSize} {
			if got, want := SealedSizeWith(m, r), SealedSize(m)+int64(chunkFrame+r); got != want {
				t.Fatalf("SealedSizeWith(%d, %d) = %d, want %d", m, r, got, want)
			}
		}
	}
	// sealRecord checks the real output size; one case with full chunks.
	sealRecord(t, alice, addrOf(t, bob), NewID(), randomBody(2*MaxChunkData, 12), make([]byte, MaxRecordSize))
	for _, bad := range [][2]int64{{-1, 0}, {0, -1}, {0, MaxRecordSize + 1}} {
		if got := SealedSizeWith(bad[0], int(bad[1])); got != -1 {
			t.Fatalf("SealedSizeWith(%d, %d) = %d, want -1", bad[0], bad[1], got)
		}
	}
}

// TestRecordFlipEveryByte flips each byte of a small version 2 envelope.
func TestRecordFlipEveryByte(t *testing.T) {
	env := sealRecord(t, alice, addrOf(t, bob), NewID(), []byte("hi"), []byte("record"))
	for i := range env {
		var want error
		switch {
		case i < len(Magic):
			want = ErrNotEnvelope
		case i == len(Magic): // 2 becomes 3
			want = ErrVersion
		case i < len(Magic)+1+32:
			want = ErrNotForMe
		}
		mustFail(t, "flip byte "+strconv.Itoa(i), flip(env, i), want)
	}
}

// TestRecordDowngrade: turning a version 2 envelope into version 1, or a
// version 1 envelope into version 2, changes the payload key.
func TestRecordDowngrade(t *testing.T) {
	v2 := sealRecord(t, alice, addrOf(t, bob), NewID(), []byte("hi"), []byte("record"))
	v2[len(Magic)] = Version1
	mustFail(t, "v2 relabelled v1", v2, ErrCorrupt)
	v1 := seal(t, alice, addrOf(t, bob), NewID(), []byte("hi"))
	v1[len(Magic)] = Version2
	mustFail(t, "v1 relabelled v2", v1, ErrCorrupt)
}

// TestRecordStripped drops or swaps the record chunk of a real envelope.
func TestRecordStripped(t *testing.T) {
	env := sealRecord(t, alice, addrOf(t, bob), NewID(), []byte("hi"), []byte("record"))
	header, cs := chunks(t, env)
	if len(cs) != 4 {
		t.Fatalf("%d chunks, want 4", len(cs))
	}
	mustFail(t, "record dropped", join(header, [][]byte{cs[0], cs[2], cs[3]}), ErrCorrupt)
	mustFail(t, "record after data", join(header, [][]byte{cs[0], cs[2], cs[1], cs[3]}), ErrCorrupt)
	other := sealRecord(t, alice, addrOf(t, bob), NewID(), []byte("hi"), []byte("record"))
	_, co := chunks(t, other)
	mustFail(t, "record from another envelope", join(header, [][]byte{cs[0], co[1], cs[2], cs[3]}), ErrCorrupt)
}

// TestRecordLayout crafts chunk sequences with valid encryption, so only
// the version 2 layout rules and the signature can reject them.
func TestRecordLayout(t *testing.T) {
	to, me := addrOf(t, bob), addrOf(t, alice)
	rec := []byte("record")
	v2 := func() *crafter { return newCrafterV(t, to, Version2).inner(me) }
	v1 := func() *crafter { return newCrafterV(t, to, Version1).inner(me) }
	cases := []struct {
		name string
		env  []byte
		want error
	}{
		{"valid", v2().record(rec).chunk(kindData, []byte("x"), false).trailer(alice).bytes(), nil},
		{"valid, no message", v2().record(rec).trailer(alice).bytes(), nil},
		{"v2 without record", v2().noRecord().chunk(kindData, []byte("x"), false).trailer(alice).bytes(), nil},
		{"v2 without record or message", v2().noRecord().trailer(alice).bytes(), nil},
		{"record in v1", v1().record(rec).chunk(kindData, []byte("x"), false).trailer(alice).bytes(), ErrUnknownChunk},
		{"record in v1 after data", v1().chunk(kindData, []byte("x"), false).record(rec).trailer(alice).bytes(), ErrUnknownChunk},
		{"record twice", v2().record(rec).record(rec).trailer(alice).bytes(), ErrCorrupt},
		{"record after data", v2().noRecord().chunk(kindData, []byte("x"), false).record(rec).trailer(alice).bytes(), ErrCorrupt},
		{"record final", v2().chunk(kindRecord, rec, true).bytes(), ErrCorrupt},
		{"64-byte record as final chunk", v2().chunk(kindRecord, make([]byte, 64), true).bytes(), ErrCorrupt},
		{"empty record", v2().record(nil).trailer(alice).bytes(), ErrCorrupt},
		{"record too long", v2().record(make([]byte, MaxRecordSize+1)).trailer(alice).bytes(), ErrCorrupt},
		{"record longest", v2().record(make([]byte, MaxRecordSize)).trailer(alice).bytes(), nil},
		{"v1 signature prefix", v2().record(rec).v1Trailer(alice).bytes(), ErrBadSignature},
		{"record not hashed", v2().chunk(kindRecord, rec, false).trailer(alice).bytes(), ErrBadSignature},
		{"length not hashed", v2().chunk(kindData, []byte("x"), false).trailer(alice).bytes(), ErrBadSignature},
		{"signed by another", v2().record(rec).trailer(carol).bytes(), ErrBadSignature},
	}
	for _, c := range cases {
		if c.want != nil {
			mustFail(t, c.name, c.env, c.want)
			continue
		}
		if _, o, err := openAll(c.env, bob); err != nil || !o.Verified() {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
}

// TestRecordSignedOverOtherRecord: a trailer signed over one record does
// not verify an envelope that carries another.
func TestRecordSignedOverOtherRecord(t *testing.T) {
	c := newCrafterV(t, addrOf(t, bob), Version2).inner(addrOf(t, alice))
	c.s.hash.Write(recordLength(6))
	c.s.hash.Write([]byte("record"))
	copy(c.s.payload(), "recorD")
	if err := c.s.chunk(kindRecord, 6, false); err != nil {
		t.Fatal(err)
	}
	_, o, err := openAll(c.trailer(alice).bytes(), bob)
	if !errors.Is(err, ErrBadSignature) || o == nil || o.Verified() {
		t.Fatalf("record changed after signing: %v", err)
	}
	if string(o.Record()) != "recorD" {
		t.Fatalf("record %q", o.Record())
	}
}

// v1Trailer signs what was hashed so far under the version 1 signature
// prefix, whatever the crafter's version.
func (c *crafter) v1Trailer(key ed25519.PrivateKey) *crafter {
	sig := ed25519.Sign(key, signedMessage(Version1, c.s.hash.Sum(nil)))
	return c.chunk(kindTrailer, sig, true)
}

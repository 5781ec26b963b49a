package envelope

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"io"
	"testing"
)

// fuzzSeed is what a seed envelope carries.
type fuzzSeed struct {
	body, record []byte
}

// fuzzSeeds returns valid envelopes from alice to bob, made with fixed
// ephemeral keys and IDs so the corpus is reproducible, keyed by ID: version
// 1 envelopes and version 2 ones with a sender record (1 byte, a few dozen
// bytes, MaxRecordSize) and with and without a message.
func fuzzSeeds(f *testing.F) map[ID]fuzzSeed {
	hello := []byte("Subject: hi\r\n\r\nhello\r\n")
	list := []fuzzSeed{
		{nil, nil}, {[]byte("x"), nil}, {hello, nil}, {randomBody(MaxChunkData+5, 9), nil},
		{nil, []byte{7}}, {hello, bytes.Repeat([]byte{4}, 32)}, {[]byte("y"), randomBody(MaxRecordSize, 10)},
	}
	seeds := make(map[ID]fuzzSeed)
	for i, s := range list {
		var seed [32]byte
		seed[0] = byte(i + 1)
		eph, err := ecdh.X25519().NewPrivateKey(seed[:])
		if err != nil {
			f.Fatal(err)
		}
		p := sealParams{sender: alice, from: addrOf(f, alice), to: addrOf(f, bob), id: ID{byte(i + 1)}, created: epoch, eph: eph, record: s.record}
		var buf bytes.Buffer
		if _, err := p.seal(&buf, bytes.NewReader(s.body)); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		seeds[p.id] = s
	}
	f.Add([]byte{})
	f.Add([]byte(Magic))
	f.Add([]byte("YGPE\x02"))
	f.Add([]byte("YGPE\x03"))
	return seeds
}

// FuzzOpen feeds arbitrary bytes to Open. Nothing may panic, every error
// must be one of the package's, and whatever verifies must be exactly one
// of the seed messages with its record: a mutation never opens as valid
// with other content.
func FuzzOpen(f *testing.F) {
	seeds := fuzzSeeds(f)
	from := addrOf(f, alice)
	f.Fuzz(func(t *testing.T, env []byte) {
		body, o, err := openAll(env, bob)
		if err != nil {
			if !isOneOf(err) {
				t.Fatalf("error outside the package's set: %v", err)
			}
			return
		}
		want, ok := seeds[o.Header().ID]
		if !ok || !o.Verified() || o.Sender() != from || !bytes.Equal(body, want.body) ||
			!bytes.Equal(o.Record(), want.record) || !o.Created().Equal(epoch) {
			t.Fatalf("mutated envelope opened as valid: id %s sender %s %d bytes, record %d bytes",
				o.Header().ID, o.Sender(), len(body), len(o.Record()))
		}
	})
}

// FuzzReadHeader checks that a header that parses re-encodes to the bytes
// it came from, and that nothing panics.
func FuzzReadHeader(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHeader(bytes.NewReader(data))
		if err != nil {
			if !isOneOf(err) {
				t.Fatalf("error outside the package's set: %v", err)
			}
			return
		}
		if got := h.appendTo(nil); !bytes.Equal(got, data[:HeaderSize]) {
			t.Fatalf("header re-encodes as %x, read from %x", got, data[:HeaderSize])
		}
	})
}

func TestReadHeader(t *testing.T) {
	id := NewID()
	env := seal(t, alice, addrOf(t, bob), id, []byte("x"))
	r := bytes.NewReader(env)
	h, err := ReadHeader(r)
	if err != nil || h.ID != id || h.Recipient != addrOf(t, bob) || h.Version != Version {
		t.Fatalf("ReadHeader = %+v, %v", h, err)
	}
	if r.Len() != len(env)-HeaderSize {
		t.Fatalf("ReadHeader consumed %d bytes", len(env)-r.Len())
	}
	// A future version is refused after its first five bytes.
	for _, v := range []byte{0, 3, 0xff} {
		r = bytes.NewReader(append([]byte{'Y', 'G', 'P', 'E', v}, make([]byte, 200)...))
		if _, err := ReadHeader(r); !errors.Is(err, ErrVersion) || r.Len() != 200 {
			t.Fatalf("version %d: %v, %d left", v, err, r.Len())
		}
	}
	// Version 2 (with a sender record) has the same header.
	env2 := sealRecord(t, alice, addrOf(t, bob), id, []byte("x"), []byte("rec"))
	r = bytes.NewReader(env2)
	h, err = ReadHeader(r)
	if err != nil || h.Version != Version2 || h.ID != id || r.Len() != len(env2)-HeaderSize {
		t.Fatalf("ReadHeader v2 = %+v, %v, %d left", h, err, r.Len())
	}
	if _, err := ReadHeader(bytes.NewReader([]byte("From: x\r\n"))); !errors.Is(err, ErrNotEnvelope) {
		t.Fatalf("plain mail: %v", err)
	}
	if _, err := ReadHeader(io.LimitReader(bytes.NewReader(env), 40)); !errors.Is(err, ErrTruncated) {
		t.Fatalf("short: %v", err)
	}
}

// TestEphemeralHighBit flips the top bit of the ephemeral key, which X25519
// ignores: the shared secret is unchanged, but the header is bound into the
// key derivation, so the envelope must not open.
func TestEphemeralHighBit(t *testing.T) {
	env := seal(t, alice, addrOf(t, bob), NewID(), []byte("x"))
	mustFail(t, "ephemeral high bit", flipBit(env, HeaderSize-1, 0x80), ErrCorrupt)
}

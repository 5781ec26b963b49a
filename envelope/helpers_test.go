package envelope

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// testKey returns a deterministic ed25519 key named by one byte.
func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func addrOf(t testing.TB, k ed25519.PrivateKey) Address {
	t.Helper()
	a, err := AddressFromKey(k.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var (
	alice = testKey(1)
	bob   = testKey(2)
	carol = testKey(3)
	epoch = time.Date(2026, 11, 22, 5, 30, 0, 0, time.UTC)
)

// randomBody returns n deterministic pseudo-random bytes.
func randomBody(n int, seed uint64) []byte {
	b := make([]byte, n)
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	_, _ = rand.NewChaCha8(s).Read(b) // ChaCha8.Read never fails
	return b
}

// seal seals body from sender to recipient and checks the size contract.
func seal(t testing.TB, sender ed25519.PrivateKey, to Address, id ID, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := Seal(&buf, sender, to, id, epoch, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if n != int64(buf.Len()) || n != SealedSize(int64(len(body))) {
		t.Fatalf("Seal wrote %d, buffer has %d, SealedSize %d", n, buf.Len(), SealedSize(int64(len(body))))
	}
	return buf.Bytes()
}

// sealRecord seals body with a sender record and checks the size contract.
func sealRecord(t testing.TB, sender ed25519.PrivateKey, to Address, id ID, body, record []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := SealWith(&buf, sender, to, id, epoch, bytes.NewReader(body), SealOptions{Record: record})
	if err != nil {
		t.Fatalf("SealWith: %v", err)
	}
	if want := SealedSizeWith(int64(len(body)), len(record)); n != int64(buf.Len()) || n != want {
		t.Fatalf("SealWith wrote %d, buffer has %d, SealedSizeWith %d", n, buf.Len(), want)
	}
	return buf.Bytes()
}

// openAll opens env with key and reads the whole message.
func openAll(env []byte, key ed25519.PrivateKey) ([]byte, *Opened, error) {
	o, err := Open(bytes.NewReader(env), key)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(o)
	return body, o, err
}

// chunks splits a well-formed envelope into its header and framed chunks.
func chunks(t testing.TB, env []byte) (header []byte, out [][]byte) {
	t.Helper()
	header, rest := env[:HeaderSize], env[HeaderSize:]
	for len(rest) > 0 {
		n := prefixSize + int(binary.BigEndian.Uint32(rest)&^finalBit)
		out = append(out, rest[:n])
		rest = rest[n:]
	}
	return header, out
}

func join(header []byte, cs [][]byte) []byte {
	out := append([]byte(nil), header...)
	for _, c := range cs {
		out = append(out, c...)
	}
	return out
}

// crafter writes hand-made chunk sequences with valid encryption, to test
// the rules a reader enforces after authentication.
type crafter struct {
	t   testing.TB
	buf bytes.Buffer
	s   *sealer
}

func newCrafter(t testing.TB, to Address) *crafter {
	t.Helper()
	return newCrafterV(t, to, Version1)
}

// newCrafterV starts a hand-made envelope of the given header version.
func newCrafterV(t testing.TB, to Address, version uint8) *crafter {
	t.Helper()
	eph, err := ecdh.X25519().GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &crafter{t: t}
	p := sealParams{to: to, id: NewID(), eph: eph, version: version}
	if c.s, err = p.start(&c.buf); err != nil {
		t.Fatal(err)
	}
	return c
}

// chunk writes one chunk; it is hashed for the signature like a real one.
func (c *crafter) chunk(kind byte, payload []byte, final bool) *crafter {
	c.s.hash.Write(payload)
	copy(c.s.payload(), payload)
	if err := c.s.chunk(kind, len(payload), final); err != nil {
		c.t.Fatal(err)
	}
	return c
}

func (c *crafter) inner(from Address) *crafter {
	b := make([]byte, innerSize)
	copy(b, from[:])
	binary.BigEndian.PutUint64(b[32:], uint64(epoch.Unix()))
	return c.chunk(kindInner, b, false)
}

// record writes a sender record chunk, hashed with its length as version 2
// hashes it.
func (c *crafter) record(rec []byte) *crafter {
	c.s.hash.Write(recordLength(len(rec)))
	return c.chunk(kindRecord, rec, false)
}

// noRecord hashes the zero record length of a version 2 envelope that
// carries no record.
func (c *crafter) noRecord() *crafter {
	c.s.hash.Write(recordLength(0))
	return c
}

// trailer signs what was hashed so far with key, under the signature
// prefix of the crafter's version.
func (c *crafter) trailer(key ed25519.PrivateKey) *crafter {
	sig := ed25519.Sign(key, signedMessage(c.s.version, c.s.hash.Sum(nil)))
	return c.chunk(kindTrailer, sig, true)
}

func (c *crafter) bytes() []byte { return c.buf.Bytes() }

// isOneOf reports whether err wraps one of the package's sentinel errors.
func isOneOf(err error) bool {
	for _, e := range []error{ErrNotEnvelope, ErrVersion, ErrNotForMe, ErrTruncated,
		ErrCorrupt, ErrUnknownChunk, ErrBadSignature} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

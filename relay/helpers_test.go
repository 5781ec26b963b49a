package relay

import (
	"bytes"
	"crypto/ed25519"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func addrOf(k ed25519.PrivateKey) envelope.Address {
	a, _ := envelope.AddressFromKey(k.Public().(ed25519.PublicKey))
	return a
}

var (
	relayKey  = testKey(0x50)
	aliceKey  = testKey(0x01) // sender
	bobKey    = testKey(0x02) // member
	carolKey  = testKey(0x03) // another member
	aliceAddr = addrOf(aliceKey)
	bobAddr   = addrOf(bobKey)
	carolAddr = addrOf(carolKey)
)

// testRelay opens a relay in a fresh directory with a fake clock; opts may
// adjust the options. It is closed when the test ends.
func testRelay(t testing.TB, adjust func(*Options)) (*Relay, *clock, string) {
	t.Helper()
	dir := t.TempDir()
	c := newClock()
	opts := Options{Key: relayKey, Now: c.Now, DepositRate: -1}
	if adjust != nil {
		adjust(&opts)
	}
	r := reopen(t, dir, opts)
	return r, c, dir
}

func reopen(t testing.TB, dir string, opts Options) *Relay {
	t.Helper()
	r, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// register makes key a member of r, signed at the relay's current time.
func register(t testing.TB, r *Relay, key ed25519.PrivateKey, token string) {
	t.Helper()
	g, err := NewRegistration(key, r.Address(), r.opts.Now(), token)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Register(g); err != nil {
		t.Fatalf("Register: %v", err)
	}
}

// seal returns an envelope from sender to `to` with a fresh id.
func seal(t testing.TB, sender ed25519.PrivateKey, to envelope.Address, body []byte) ([]byte, envelope.ID) {
	t.Helper()
	id := envelope.NewID()
	var buf bytes.Buffer
	if _, err := envelope.Seal(&buf, sender, to, id, time.Unix(1795325400, 0), bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), id
}

func randomBody(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func deposit(t testing.TB, r *Relay, env []byte) CustodyReceipt {
	t.Helper()
	rc, err := r.Deposit(aliceAddr, int64(len(env)), bytes.NewReader(env))
	if err != nil {
		t.Fatalf("Deposit: %v", err)
	}
	return rc
}

// fetch reads a held envelope whole.
func fetch(t testing.TB, r *Relay, member envelope.Address, id envelope.ID) []byte {
	t.Helper()
	rc, size, err := r.Open(member, id)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read held envelope: %v", err)
	}
	if int64(len(b)) != size {
		t.Fatalf("read %d bytes, Open said %d", len(b), size)
	}
	return b
}

package relay

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// TestRefusals checks every refusal and that a refused envelope's bytes are
// consumed exactly when the header was read, so the next envelope on the
// same stream is read from its first byte.
func TestRefusals(t *testing.T) {
	small, _ := seal(t, aliceKey, bobAddr, []byte("hello"))
	big, _ := seal(t, aliceKey, bobAddr, randomBody(2000, 1))
	toCarol, _ := seal(t, aliceKey, carolAddr, []byte("hi carol"))
	bad := bytes.Clone(small)
	copy(bad, "XXXX")
	cases := []struct {
		name    string
		adjust  func(*Options)
		env     []byte
		size    int64
		want    error
		drained bool // the whole size was read
	}{
		{"not member", nil, toCarol, int64(len(toCarol)), ErrNotMember, true},
		{"too large", func(o *Options) { o.MaxEnvelope = 1000 }, big, int64(len(big)), ErrTooLarge, false},
		{"under minimum", nil, small[:100], 100, ErrMalformed, false},
		{"bad magic", nil, bad, int64(len(bad)), ErrMalformed, true},
		{"truncated", nil, small[:len(small)-10], int64(len(small)), ErrMalformed, true},
		{"quota bytes", func(o *Options) { o.MemberBytes = 1000 }, big, int64(len(big)), ErrQuotaBytes, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _, _ := testRelay(t, tc.adjust)
			register(t, r, bobKey, "")
			next, nextID := seal(t, aliceKey, bobAddr, []byte("next"))
			if tc.name == "truncated" {
				next = nil // the input really ends early
			}
			stream := bytes.NewReader(append(bytes.Clone(tc.env), next...))
			_, err := r.Deposit(aliceAddr, tc.size, stream)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Deposit = %v, want %v", err, tc.want)
			}
			consumed := int64(len(tc.env)+len(next)) - int64(stream.Len())
			if tc.drained && consumed != min(tc.size, int64(len(tc.env)+len(next))) || !tc.drained && consumed != 0 {
				t.Fatalf("consumed %d bytes of a %d-byte deposit (drained %v)", consumed, tc.size, tc.drained)
			}
			if tc.drained && tc.name != "truncated" {
				if _, err := r.Deposit(aliceAddr, int64(len(next)), stream); err != nil {
					t.Fatalf("next envelope on the stream: %v", err)
				}
				if got := fetch(t, r, bobAddr, nextID); !bytes.Equal(got, next) {
					t.Fatal("next envelope differs")
				}
			}
			if s := r.Status(); s.Refused != 1 {
				t.Fatalf("Status.Refused = %d", s.Refused)
			}
		})
	}
}

func TestQuotaCount(t *testing.T) {
	r, c, dir := testRelay(t, func(o *Options) { o.MemberEnvelopes = 3; o.Retention = time.Hour })
	register(t, r, bobKey, "")
	var ids []envelope.ID
	for range 3 {
		env, id := seal(t, aliceKey, bobAddr, []byte("x"))
		deposit(t, r, env)
		ids = append(ids, id)
	}
	over, overID := seal(t, aliceKey, bobAddr, []byte("over"))
	if _, err := r.Deposit(aliceAddr, int64(len(over)), bytes.NewReader(over)); !errors.Is(err, ErrQuotaCount) || !Temporary(err) {
		t.Fatalf("4th deposit: %v", err)
	}
	// An ack makes room.
	if err := r.Ack(bobAddr, ids[0]); err != nil {
		t.Fatal(err)
	}
	deposit(t, r, over)
	// The count survives a restart.
	opts := r.opts
	r.Close()
	r = reopen(t, dir, opts)
	another, _ := seal(t, aliceKey, bobAddr, []byte("another"))
	if _, err := r.Deposit(aliceAddr, int64(len(another)), bytes.NewReader(another)); !errors.Is(err, ErrQuotaCount) {
		t.Fatalf("after restart: %v", err)
	}
	// Expiry makes room too.
	c.Add(time.Hour)
	gone, err := r.Expire()
	if err != nil || len(gone) != 3 {
		t.Fatalf("Expire = %d, %v", len(gone), err)
	}
	deposit(t, r, another)
	if _, _, err := r.Open(bobAddr, overID); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("expired envelope still open-able: %v", err)
	}
}

func TestQuotaBytesAccounting(t *testing.T) {
	env1, id1 := seal(t, aliceKey, bobAddr, randomBody(3000, 1))
	env2, _ := seal(t, aliceKey, bobAddr, randomBody(3000, 2))
	quota := int64(len(env1)) + int64(len(env2)) - 1
	r, _, dir := testRelay(t, func(o *Options) { o.MemberBytes = quota })
	register(t, r, bobKey, "")
	deposit(t, r, env1)
	if _, err := r.Deposit(aliceAddr, int64(len(env2)), bytes.NewReader(env2)); !errors.Is(err, ErrQuotaBytes) {
		t.Fatalf("over byte quota: %v", err)
	}
	opts := r.opts
	r.Close()
	r = reopen(t, dir, opts)
	if _, err := r.Deposit(aliceAddr, int64(len(env2)), bytes.NewReader(env2)); !errors.Is(err, ErrQuotaBytes) {
		t.Fatalf("over byte quota after restart: %v", err)
	}
	if err := r.Ack(bobAddr, id1); err != nil {
		t.Fatal(err)
	}
	deposit(t, r, env2)
	if s := r.Status(); s.Bytes != int64(len(env2)) || s.Envelopes != 1 {
		t.Fatalf("Status = %+v", s)
	}
}

func TestRateLimit(t *testing.T) {
	r, c, _ := testRelay(t, func(o *Options) { o.DepositRate = 2 })
	register(t, r, bobKey, "")
	try := func(from envelope.Address) error {
		env, _ := seal(t, aliceKey, bobAddr, []byte("r"))
		stream := bytes.NewReader(env)
		_, err := r.Deposit(from, int64(len(env)), stream)
		if errors.Is(err, ErrRateLimited) && stream.Len() != len(env) {
			t.Fatal("a rate-limited deposit read bytes")
		}
		return err
	}
	for i := range 2 {
		if err := try(aliceAddr); err != nil {
			t.Fatalf("deposit %d: %v", i, err)
		}
	}
	if err := try(aliceAddr); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("3rd deposit in a minute: %v", err)
	}
	if err := try(carolAddr); err != nil {
		t.Fatalf("another depositor: %v", err)
	}
	c.Add(30 * time.Second)
	if err := try(aliceAddr); err != nil {
		t.Fatalf("after 30 s: %v", err)
	}
	if err := try(aliceAddr); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("second after 30 s: %v", err)
	}
}

// A member of the relay deposits at its own, higher rate: a person's burst
// to someone away goes through, while a stranger's flood is still cut.
func TestMemberDepositRate(t *testing.T) {
	r, _, _ := testRelay(t, func(o *Options) { o.DepositRate = 2; o.MemberDepositRate = 5 })
	register(t, r, bobKey, "")
	register(t, r, aliceKey, "") // alice is a member; carol is not
	count := func(from envelope.Address, sender ed25519.PrivateKey) int {
		for i := range 10 {
			env, _ := seal(t, sender, bobAddr, []byte{byte(i)})
			if _, err := r.Deposit(from, int64(len(env)), bytes.NewReader(env)); errors.Is(err, ErrRateLimited) {
				return i
			} else if err != nil {
				t.Fatalf("deposit %d: %v", i, err)
			}
		}
		return 10
	}
	if n := count(aliceAddr, aliceKey); n != 5 {
		t.Errorf("a member deposited %d before the limit, want 5", n)
	}
	if n := count(carolAddr, carolKey); n != 2 {
		t.Errorf("a stranger deposited %d before the limit, want 2", n)
	}
}

// blockingReader hands out its bytes, then blocks until released.
type blockingReader struct {
	r       io.Reader
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.once.Do(func() { close(b.started) })
		<-b.release
	}
	return n, err
}

func TestBusy(t *testing.T) {
	r, _, _ := testRelay(t, func(o *Options) { o.MaxDeposits = 1 })
	register(t, r, bobKey, "")
	env, id := seal(t, aliceKey, bobAddr, []byte("slow"))
	// The slow deposit claims one byte more than it has, so it waits in
	// its read until released.
	slow := &blockingReader{r: bytes.NewReader(env), started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := r.Deposit(aliceAddr, int64(len(env))+1, slow)
		done <- err
	}()
	select {
	case <-slow.started:
	case <-time.After(10 * time.Second):
		t.Fatal("slow deposit never started")
	}
	other, _ := seal(t, aliceKey, bobAddr, []byte("other"))
	if _, err := r.Deposit(aliceAddr, int64(len(other)), bytes.NewReader(other)); !errors.Is(err, ErrBusy) {
		t.Fatalf("second deposit while one is in progress: %v", err)
	}
	close(slow.release)
	select {
	case err := <-done:
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("slow deposit ended with %v, want ErrMalformed (short)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("slow deposit did not finish")
	}
	deposit(t, r, other)
	if _, _, err := r.Open(bobAddr, id); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("short envelope held: %v", err)
	}
}

func TestExpire(t *testing.T) {
	r, c, _ := testRelay(t, func(o *Options) { o.Retention = 24 * time.Hour })
	register(t, r, bobKey, "")
	register(t, r, carolKey, "")
	e1, id1 := seal(t, aliceKey, bobAddr, randomBody(2*chunkSize, 3))
	rc1 := deposit(t, r, e1)
	c.Add(12 * time.Hour)
	e2, id2 := seal(t, aliceKey, carolAddr, []byte("later"))
	deposit(t, r, e2)
	if !rc1.Expires.Equal(rc1.Received.Add(24 * time.Hour)) {
		t.Fatalf("receipt expires %v", rc1.Expires)
	}
	c.Add(12*time.Hour - time.Second)
	if gone, err := r.Expire(); err != nil || len(gone) != 0 {
		t.Fatalf("Expire before time = %v, %v", gone, err)
	}
	c.Add(time.Second)
	gone, err := r.Expire()
	if err != nil || len(gone) != 1 || gone[0].Recipient != bobAddr || gone[0].ID != id1 || gone[0].Size != int64(len(e1)) {
		t.Fatalf("Expire = %+v, %v", gone, err)
	}
	if p, _ := r.Pending(bobAddr); len(p) != 0 {
		t.Fatal("expired envelope still pending")
	}
	if p, _ := r.Pending(carolAddr); len(p) != 1 || p[0].ID != id2 {
		t.Fatal("unexpired envelope gone")
	}
	if keys, _ := r.keysWithPrefix([]byte{tagChunk}); len(keys) != 1 {
		t.Fatalf("%d chunks left, want the one of the live envelope", len(keys))
	}
	if s := r.Status(); s.Expired != 1 || s.Envelopes != 1 || s.Bytes != int64(len(e2)) {
		t.Fatalf("Status = %+v", s)
	}
}

// failAfter returns its bytes, then err.
type failAfter struct {
	r   io.Reader
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestDepositReaderError(t *testing.T) {
	r, _, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	env, id := seal(t, aliceKey, bobAddr, randomBody(40*chunkSize, 9))
	broken := errors.New("connection reset")
	src := &failAfter{r: bytes.NewReader(env[:len(env)/2]), err: broken}
	if _, err := r.Deposit(aliceAddr, int64(len(env)), src); !errors.Is(err, broken) {
		t.Fatalf("Deposit = %v, want the reader's error", err)
	}
	if _, _, err := r.Open(bobAddr, id); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("half an envelope held: %v", err)
	}
	if keys, _ := r.keysWithPrefix([]byte{tagChunk}); len(keys) != 0 {
		t.Fatalf("%d chunks of the broken deposit left", len(keys))
	}
	if s := r.Status(); s.Envelopes != 0 || s.Bytes != 0 || s.Refused != 1 {
		t.Fatalf("Status = %+v", s)
	}
	deposit(t, r, env) // the retry succeeds
}

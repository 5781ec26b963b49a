package envelope

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
	"time"

	"filippo.io/edwards25519"
)

func TestRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 100, MaxChunkData - 1, MaxChunkData, MaxChunkData + 1,
		2 * MaxChunkData, 3*MaxChunkData + 7, 5 << 20}
	for _, n := range sizes {
		body := randomBody(n, uint64(n))
		id := NewID()
		env := seal(t, alice, addrOf(t, bob), id, body)
		got, o, err := openAll(env, bob)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("size %d: body differs", n)
		}
		if !o.Verified() || o.Sender() != addrOf(t, alice) || !o.Created().Equal(epoch) {
			t.Fatalf("size %d: verified %v sender %s created %v", n, o.Verified(), o.Sender(), o.Created())
		}
		if h := o.Header(); h.ID != id || h.Recipient != addrOf(t, bob) || h.Version != Version {
			t.Fatalf("size %d: header %+v", n, h)
		}
	}
}

func TestRoundTripSmallReads(t *testing.T) {
	body := randomBody(2*MaxChunkData+300, 7)
	env := seal(t, alice, addrOf(t, bob), NewID(), body)
	o, err := Open(iotest.OneByteReader(bytes.NewReader(env)), bob)
	if err != nil {
		t.Fatal(err)
	}
	if err := iotest.TestReader(o, body); err != nil {
		t.Fatal(err)
	}
	if !o.Verified() {
		t.Fatal("not verified after reading to EOF")
	}
}

func TestWriteTo(t *testing.T) {
	body := randomBody(3*MaxChunkData+1, 8)
	env := seal(t, alice, addrOf(t, bob), NewID(), body)
	o, err := Open(bytes.NewReader(env), bob)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n, err := o.WriteTo(&out)
	if err != nil || n != int64(len(body)) || !bytes.Equal(out.Bytes(), body) || !o.Verified() {
		t.Fatalf("WriteTo = %d, %v; equal %v", n, err, bytes.Equal(out.Bytes(), body))
	}
}

func TestSealToSelf(t *testing.T) {
	env := seal(t, alice, addrOf(t, alice), NewID(), []byte("note to self"))
	got, o, err := openAll(env, alice)
	if err != nil || string(got) != "note to self" || o.Sender() != addrOf(t, alice) {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestSealedSizeExact(t *testing.T) {
	var sizes []int64
	for i := int64(0); i < 70; i++ {
		sizes = append(sizes, i)
	}
	for k := int64(1); k <= 3; k++ {
		for d := int64(-2); d <= 2; d++ {
			sizes = append(sizes, k*MaxChunkData+d)
		}
	}
	for _, n := range sizes {
		w, err := Seal(io.Discard, alice, addrOf(t, bob), NewID(), epoch, io.LimitReader(zeros{}, n))
		if err != nil || w != SealedSize(n) {
			t.Fatalf("size %d: Seal wrote %d (%v), SealedSize says %d", n, w, err, SealedSize(n))
		}
	}
	if SealedSize(-1) != -1 {
		t.Fatal("SealedSize(-1) != -1")
	}
	if got, want := SealedSize(0), int64(HeaderSize+61+85); got != want {
		t.Fatalf("SealedSize(0) = %d, want %d", got, want)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestOpenWrongRecipient(t *testing.T) {
	env := seal(t, alice, addrOf(t, bob), NewID(), []byte("for bob"))
	if _, err := Open(bytes.NewReader(env), carol); !errors.Is(err, ErrNotForMe) {
		t.Fatalf("Open as carol = %v, want ErrNotForMe", err)
	}
}

func TestOpenWrongSigner(t *testing.T) {
	// Alice's key signs, but the inner header claims Carol.
	eph := newCrafter(t, addrOf(t, bob))
	env := eph.inner(addrOf(t, carol)).chunk(kindData, []byte("hi"), false).trailer(alice).bytes()
	o, err := Open(bytes.NewReader(env), bob)
	if err != nil {
		t.Fatal(err)
	}
	if o.Sender() != addrOf(t, carol) {
		t.Fatalf("sender %s", o.Sender())
	}
	if _, err := io.ReadAll(o); !errors.Is(err, ErrBadSignature) || o.Verified() {
		t.Fatalf("ReadAll = %v, verified %v; want ErrBadSignature", err, o.Verified())
	}
	if _, err := o.Read(make([]byte, 1)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("error not sticky: %v", err)
	}
}

func TestCraftedLayouts(t *testing.T) {
	to := addrOf(t, bob)
	me := addrOf(t, alice)
	full := make([]byte, MaxChunkData)
	tests := []struct {
		name string
		env  []byte
		want error
	}{
		{"valid", newCrafter(t, to).inner(me).chunk(kindData, []byte("x"), false).trailer(alice).bytes(), nil},
		{"unknown kind", newCrafter(t, to).inner(me).chunk(0x09, []byte("x"), false).trailer(alice).bytes(), ErrUnknownChunk},
		{"unknown final kind", newCrafter(t, to).inner(me).chunk(0x80, []byte("x"), true).bytes(), ErrUnknownChunk},
		{"final data", newCrafter(t, to).inner(me).chunk(kindData, []byte("x"), true).bytes(), ErrCorrupt},
		{"trailer not final", newCrafter(t, to).inner(me).chunk(kindTrailer, make([]byte, 64), false).trailer(alice).bytes(), ErrCorrupt},
		{"short trailer", newCrafter(t, to).inner(me).chunk(kindTrailer, make([]byte, 63), true).bytes(), ErrCorrupt},
		{"empty data", newCrafter(t, to).inner(me).chunk(kindData, nil, false).trailer(alice).bytes(), ErrCorrupt},
		{"data after short", newCrafter(t, to).inner(me).chunk(kindData, []byte("a"), false).chunk(kindData, []byte("b"), false).trailer(alice).bytes(), ErrCorrupt},
		{"full then short", newCrafter(t, to).inner(me).chunk(kindData, full, false).chunk(kindData, []byte("b"), false).trailer(alice).bytes(), nil},
		{"second inner", newCrafter(t, to).inner(me).inner(me).trailer(alice).bytes(), ErrCorrupt},
		{"no trailer", newCrafter(t, to).inner(me).chunk(kindData, []byte("x"), false).bytes(), ErrTruncated},
		{"first not inner", newCrafter(t, to).chunk(kindData, []byte("x"), false).trailer(alice).bytes(), ErrCorrupt},
		{"inner too long", newCrafter(t, to).chunk(kindInner, make([]byte, 41), false).trailer(alice).bytes(), ErrCorrupt},
		{"inner final", newCrafter(t, to).chunk(kindInner, make([]byte, 40), true).bytes(), ErrCorrupt},
	}
	for _, tc := range tests {
		_, _, err := openAll(tc.env, bob)
		if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestSealBadKeys(t *testing.T) {
	if _, err := Seal(io.Discard, alice[:10], addrOf(t, bob), NewID(), epoch, bytes.NewReader(nil)); err == nil {
		t.Error("Seal accepted a short sender key")
	}
	identity := Address{1} // the neutral point: low order, no shared secret
	if _, err := Seal(io.Discard, alice, identity, NewID(), epoch, bytes.NewReader(nil)); err == nil {
		t.Error("Seal accepted a low-order recipient key")
	}
	var notPoint Address
	for i := range 256 {
		notPoint[0] = byte(i)
		if _, err := new(edwards25519.Point).SetBytes(notPoint[:]); err != nil {
			break
		}
	}
	if _, err := Seal(io.Discard, alice, notPoint, NewID(), epoch, bytes.NewReader(nil)); err == nil {
		t.Errorf("Seal accepted %s, which is not a curve point", notPoint)
	}
	env := seal(t, alice, addrOf(t, bob), NewID(), nil)
	if _, err := Open(bytes.NewReader(env), bob[:32]); err == nil {
		t.Error("Open accepted a short recipient key")
	}
}

func TestSealIOErrors(t *testing.T) {
	body := io.MultiReader(bytes.NewReader(make([]byte, 100)), iotest.ErrReader(boom))
	if _, err := Seal(io.Discard, alice, addrOf(t, bob), NewID(), epoch, body); !errors.Is(err, boom) {
		t.Errorf("body error: %v", err)
	}
	cut := io.MultiReader(bytes.NewReader(make([]byte, 100)), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, err := Seal(io.Discard, alice, addrOf(t, bob), NewID(), epoch, cut); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a body cut short must fail the sealing, got %v", err)
	}
	w := &failWriter{after: HeaderSize + 10}
	n, err := Seal(w, alice, addrOf(t, bob), NewID(), epoch, bytes.NewReader(nil))
	if !errors.Is(err, boom) || n != int64(w.after) {
		t.Errorf("writer error: n=%d err=%v", n, err)
	}
}

var boom = errors.New("boom")

type failWriter struct{ after, n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.after {
		k := w.after - w.n
		w.n = w.after
		return k, boom
	}
	w.n += len(p)
	return len(p), nil
}

func TestOpenReaderError(t *testing.T) {
	boom := errors.New("connection reset")
	env := seal(t, alice, addrOf(t, bob), NewID(), randomBody(2*MaxChunkData, 1))
	r := io.MultiReader(bytes.NewReader(env[:HeaderSize+200]), iotest.ErrReader(boom))
	o, err := Open(r, bob)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(o); !errors.Is(err, boom) || errors.Is(err, ErrTruncated) {
		t.Fatalf("ReadAll = %v, want the reader's error", err)
	}
}

func TestX25519Derivation(t *testing.T) {
	for i := range 50 {
		k := testKey(byte(i))
		priv, err := privateX25519(k)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := recipientX25519(addrOf(t, k))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(priv.PublicKey().Bytes(), pub.Bytes()) {
			t.Fatalf("key %d: x25519 public keys differ", i)
		}
	}
}

func TestCreatedTime(t *testing.T) {
	for _, tm := range []time.Time{time.Unix(0, 0), time.Unix(-86400, 0), time.Unix(1<<40, 999)} {
		var buf bytes.Buffer
		if _, err := Seal(&buf, alice, addrOf(t, bob), NewID(), tm, bytes.NewReader(nil)); err != nil {
			t.Fatal(err)
		}
		_, o, err := openAll(buf.Bytes(), bob)
		if err != nil || o.Created().Unix() != tm.Unix() {
			t.Fatalf("created %v: got %v, %v", tm, o.Created(), err)
		}
	}
}

// TestMemoryBounded streams a 32 MB message through Seal and Open over a pipe
// and checks that the whole run allocates far less than the message size.
func TestMemoryBounded(t *testing.T) {
	const size = 32 << 20
	pr, pw := io.Pipe()
	sent := sha256.New()
	done := make(chan error, 1)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() {
		body := io.TeeReader(io.LimitReader(zeros{}, size), sent)
		_, err := Seal(pw, alice, addrOf(t, bob), NewID(), epoch, body)
		done <- pw.CloseWithError(err)
	}()
	o, err := Open(pr, bob)
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	if _, err := o.WriteTo(got); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if !bytes.Equal(got.Sum(nil), sent.Sum(nil)) {
		t.Fatal("message differs")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
		t.Fatalf("allocated %d bytes for a %d-byte message", alloc, size)
	}
}

func TestPublicKeyTypeAssertion(t *testing.T) {
	// Seal and Open rely on ed25519.PrivateKey.Public returning a PublicKey.
	if _, ok := alice.Public().(ed25519.PublicKey); !ok {
		t.Fatal("ed25519 Public() type changed")
	}
}

// TestCheckKeyMatchesSeal checks that CheckKey accepts exactly the
// addresses Seal can encrypt to.
func TestCheckKeyMatchesSeal(t *testing.T) {
	good, bad := 0, 0
	for i := range 64 {
		a := addrOf(t, testKey(byte(i)))
		a[31] ^= byte(i) // many of these are no longer curve points
		_, serr := Seal(io.Discard, alice, a, NewID(), epoch, bytes.NewReader(nil))
		if cerr := a.CheckKey(); (cerr == nil) != (serr == nil) {
			t.Fatalf("%s: CheckKey %v, Seal %v", a, cerr, serr)
		}
		if serr == nil {
			good++
		} else {
			bad++
		}
	}
	if good == 0 || bad == 0 {
		t.Fatalf("%d good and %d bad keys: the test covers only one side", good, bad)
	}
}

package envelope

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"testing"
)

// mustFail opens env as bob and requires an error wrapping want (or, when
// want is nil, any of the package's errors) and an unverified result.
func mustFail(t *testing.T, what string, env []byte, want error) {
	t.Helper()
	_, o, err := openAll(env, bob)
	if err == nil {
		t.Fatalf("%s: opened as valid", what)
	}
	if o != nil && o.Verified() {
		t.Fatalf("%s: verified despite %v", what, err)
	}
	if errors.Is(err, io.EOF) {
		t.Fatalf("%s: error %v matches io.EOF", what, err)
	}
	if want != nil && !errors.Is(err, want) || want == nil && !isOneOf(err) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func flip(env []byte, i int) []byte {
	out := bytes.Clone(env)
	out[i] ^= 0x01
	return out
}

// TestFlipEveryByte flips each bit 0 of a small envelope in turn.
func TestFlipEveryByte(t *testing.T) {
	env := seal(t, alice, addrOf(t, bob), NewID(), []byte("Subject: hi\r\n\r\nhello\r\n"))
	for i := range env {
		var want error
		switch {
		case i < len(Magic):
			want = ErrNotEnvelope
		case i == len(Magic):
			want = ErrVersion
		case i < len(Magic)+1+32:
			want = ErrNotForMe
		}
		mustFail(t, "flip byte "+strconv.Itoa(i), flip(env, i), want)
	}
}

// TestFlipEachRegion flips the first, middle and last byte of every region
// of a multi-chunk envelope.
func TestFlipEachRegion(t *testing.T) {
	env := seal(t, alice, addrOf(t, bob), NewID(), randomBody(2*MaxChunkData+100, 3))
	header, cs := chunks(t, env)
	if len(cs) != 5 {
		t.Fatalf("%d chunks, want 5", len(cs))
	}
	for _, r := range [][2]int{{0, 4}, {4, 5}, {5, 37}, {37, 53}, {53, 85}} {
		for _, i := range []int{r[0], (r[0] + r[1]) / 2, r[1] - 1} {
			mustFail(t, "header byte "+strconv.Itoa(i), flip(env, i), nil)
		}
	}
	off := len(header)
	for k, c := range cs {
		for _, i := range []int{0, 3, prefixSize, prefixSize + 1, len(c) / 2, len(c) - tagSize, len(c) - 1} {
			mustFail(t, "chunk "+strconv.Itoa(k)+" byte "+strconv.Itoa(i), flip(env, off+i), nil)
		}
		final := flipBit(env, off, 0x80)
		mustFail(t, "chunk "+strconv.Itoa(k)+" final flag", final, nil)
		off += len(c)
	}
}

func flipBit(env []byte, i int, mask byte) []byte {
	out := bytes.Clone(env)
	out[i] ^= mask
	return out
}

func TestTruncateEveryByte(t *testing.T) {
	env := seal(t, alice, addrOf(t, bob), NewID(), []byte("short message"))
	for n := range len(env) {
		mustFail(t, "truncate at "+strconv.Itoa(n), env[:n], ErrTruncated)
	}
}

func TestTruncateAtChunkBoundaries(t *testing.T) {
	env := seal(t, alice, addrOf(t, bob), NewID(), randomBody(3*MaxChunkData+1, 4))
	header, cs := chunks(t, env)
	for k := range cs {
		mustFail(t, "keep "+strconv.Itoa(k)+" chunks", join(header, cs[:k]), ErrTruncated)
	}
}

func TestChunkReordering(t *testing.T) {
	env := seal(t, alice, addrOf(t, bob), NewID(), randomBody(3*MaxChunkData, 5))
	header, cs := chunks(t, env)
	for k := range cs {
		dropped := append(append([][]byte{}, cs[:k]...), cs[k+1:]...)
		mustFail(t, "drop chunk "+strconv.Itoa(k), join(header, dropped), nil)
		dup := append(append(append([][]byte{}, cs[:k+1]...), cs[k]), cs[k+1:]...)
		mustFail(t, "duplicate chunk "+strconv.Itoa(k), join(header, dup), ErrCorrupt)
		if k+1 < len(cs) {
			sw := append([][]byte{}, cs...)
			sw[k], sw[k+1] = sw[k+1], sw[k]
			mustFail(t, "swap chunks "+strconv.Itoa(k), join(header, sw), ErrCorrupt)
		}
	}
}

func TestAppendedData(t *testing.T) {
	env := seal(t, alice, addrOf(t, bob), NewID(), []byte("body"))
	other := seal(t, alice, addrOf(t, bob), NewID(), []byte("body"))
	_, cs := chunks(t, env)
	for name, extra := range map[string][]byte{
		"one byte":        {0},
		"garbage":         []byte("garbage after the end"),
		"trailer again":   cs[len(cs)-1],
		"second envelope": other,
	} {
		mustFail(t, "append "+name, append(bytes.Clone(env), extra...), ErrCorrupt)
	}
}

// TestSpliceEnvelopes moves chunks between two envelopes for the same
// recipient; different payload keys make every splice fail.
func TestSpliceEnvelopes(t *testing.T) {
	a := seal(t, alice, addrOf(t, bob), NewID(), []byte("first"))
	b := seal(t, alice, addrOf(t, bob), NewID(), []byte("second"))
	ha, ca := chunks(t, a)
	_, cb := chunks(t, b)
	for k := range ca {
		mixed := append([][]byte{}, ca...)
		mixed[k] = cb[k]
		mustFail(t, "splice chunk "+strconv.Itoa(k), join(ha, mixed), ErrCorrupt)
	}
}

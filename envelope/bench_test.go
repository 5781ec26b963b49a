package envelope

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

func BenchmarkSeal(b *testing.B) {
	for _, size := range []int{1 << 10, 50 << 20} {
		b.Run(sizeName(size), func(b *testing.B) {
			body := randomBody(size, 1)
			to := addrOf(b, bob)
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := Seal(io.Discard, alice, to, NewID(), epoch, bytes.NewReader(body)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, size := range []int{1 << 10, 50 << 20} {
		b.Run(sizeName(size), func(b *testing.B) {
			env := seal(b, alice, addrOf(b, bob), NewID(), randomBody(size, 1))
			b.SetBytes(int64(size))
			for b.Loop() {
				o, err := Open(bytes.NewReader(env), bob)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := o.WriteTo(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return strconv.Itoa(n>>20) + "MB"
	}
	return strconv.Itoa(n>>10) + "KB"
}

package transport

import (
	"context"
	"io"
	"testing"
	"time"
)

// BenchmarkStreamThroughput sends b.N chunks of 64 KiB one hop over
// loopback and waits until the receiver has read them all.
func BenchmarkStreamThroughput(b *testing.B) {
	a := startMesh(b, newKey(b))
	peer := startMesh(b, newKey(b), a)
	got := make(chan int64, 1)
	go func() {
		c, _, err := a.Accept()
		if err != nil {
			got <- -1
			return
		}
		n, _ := io.Copy(io.Discard, c)
		got <- n
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := peer.Dial(ctx, a.PublicKey())
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	b.SetBytes(int64(len(chunk)))
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Close(); err != nil { // closes the send side: the reader gets EOF
		b.Fatal(err)
	}
	if n := <-got; n != int64(b.N*len(chunk)) {
		b.Fatalf("receiver read %d bytes, want %d", n, b.N*len(chunk))
	}
}

// BenchmarkFirstDial measures a dial to a freshly peered node, including the
// mesh's first-contact delay, until the receiver has accepted the stream.
func BenchmarkFirstDial(b *testing.B) {
	for range b.N {
		b.StopTimer()
		a := startMesh(b, newKey(b))
		peer := startMesh(b, newKey(b), a)
		b.StartTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		c, err := peer.Dial(ctx, a.PublicKey())
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write([]byte(" ")); err != nil {
			b.Fatal(err)
		}
		in, _, err := a.Accept()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = in.Close()
		_ = c.Close()
		_ = peer.Close()
		_ = a.Close()
		b.StartTimer()
	}
}

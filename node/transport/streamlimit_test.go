package transport

import (
	"bufio"
	"context"
	"testing"
	"time"
)

// TestManyShortStreams opens far more streams than QUIC's per-connection
// stream limit (100), one after another, each a request and a reply after
// which both ends close without reading to the end — the shape of one
// delivery. Every stream must open: a closed stream must not keep counting
// against the limit.
func TestManyShortStreams(t *testing.T) {
	a := startMesh(t, newKey(t))
	b := startMesh(t, newKey(t), a)
	go func() {
		for {
			c, _, err := a.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, err := bufio.NewReader(c).ReadString('\n')
				if err == nil {
					c.Write([]byte("ok " + line))
				}
			}()
		}
	}()
	const n = 300
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		c, err := b.Dial(ctx, a.PublicKey())
		cancel()
		if err != nil {
			t.Fatalf("stream %d: dial: %v", i, err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte(" hello\n")); err != nil {
			t.Fatalf("stream %d: write: %v", i, err)
		}
		reply, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || reply != "ok  hello\n" {
			t.Fatalf("stream %d: reply %q, err %v", i, reply, err)
		}
		c.Close()
	}
}

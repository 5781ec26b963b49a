package imapd

import (
	"testing"
)

// BenchmarkAppend20MiB measures one APPEND of a 20 MiB message over the
// socket, through the stream layer and into the store.
func BenchmarkAppend20MiB(b *testing.B) {
	e := newEnv(b)
	c := e.dial(nil)
	msg := testMessage("bench", 20<<20)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		appendIMAP(b, c, "INBOX", msg)
	}
}

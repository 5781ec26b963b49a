package transport

import (
	"strings"
	"testing"
)

// FuzzParseLinkURL feeds arbitrary strings to the peer and listen URL
// parsers: they must return an error or a URL with an allowed scheme and a
// port, never panic.
func FuzzParseLinkURL(f *testing.F) {
	for _, s := range []string{
		"tcp://127.0.0.1:9001", "tls://[::1]:0", "tls://host.example:443?key=00&priority=1",
		"socks://proxy:1080/target:9001", "http://x:1", "tcp://:1", "tcp://a", "", "://", "tcp://[::1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, parse := range []func(string) error{
			func(s string) error { _, err := ParsePeerURL(s); return err },
			func(s string) error { _, err := ParseListenURL(s); return err },
		} {
			if err := parse(s); err == nil && !strings.Contains(s, "://") {
				t.Fatalf("accepted %q without a scheme", s)
			}
		}
	})
}

// FuzzNotifier checks that any sequence of events keeps the pending queue
// bounded and free of duplicates.
func FuzzNotifier(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 1, 255})
	f.Fuzz(func(t *testing.T, ops []byte) {
		n := newNotifier()
		for _, op := range ops {
			if op == 255 {
				n.add(nil)
				continue
			}
			key := make([]byte, 32)
			key[0] = op
			n.add(key)
		}
		_, keys := n.take()
		seen := map[byte]bool{}
		for _, k := range keys {
			if seen[k[0]] {
				t.Fatalf("key %d delivered twice", k[0])
			}
			seen[k[0]] = true
		}
		if len(keys) > maxPendingKeys {
			t.Fatalf("%d keys pending, bound is %d", len(keys), maxPendingKeys)
		}
	})
}

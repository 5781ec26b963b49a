package node

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/peer"
)

func testAddr(t testing.TB, seed byte) envelope.Address {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	a, err := envelope.AddressFromKey(priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestRefuseHeader: a received message whose header block is unusable is
// refused for good, with the reply the sending node gets.
func TestRefuseHeader(t *testing.T) {
	a := testAddr(t, 1)
	for _, c := range []struct {
		name, msg string
		code      int
		enhanced  string
	}{
		{"no From", "Subject: x\r\n\r\nbody", 550, "5.7.1"},
		{"garbage", "\x00\x01\x02", 554, "5.6.0"},
		{"two addresses", "From: " + a.String() + ", " + testAddr(t, 2).String() + "\r\n\r\n", 554, "5.6.0"},
		{"huge header", "X: " + strings.Repeat("a", 256<<10) + "\r\n\r\n", 554, "5.6.0"},
	} {
		_, _, _, err := readSender(strings.NewReader(c.msg))
		var perr *peer.Error
		if !errors.As(refuse(err), &perr) || perr.Code != c.code || perr.Enhanced != c.enhanced {
			t.Errorf("%s: refuse(%v) = %v, want %d %s", c.name, err, refuse(err), c.code, c.enhanced)
		}
	}
	from, _, _, err := readSender(strings.NewReader("From: <" + a.String() + ">\r\n\r\nbody"))
	if err != nil || from != a {
		t.Fatalf("readSender = %s, %v; want %s", from, err, a)
	}
}

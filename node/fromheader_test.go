package node

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/envelope"
)

func testAddr(t testing.TB, seed byte) envelope.Address {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	a, err := envelope.AddressFromKey(priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestReadHeaderFrom(t *testing.T) {
	a := testAddr(t, 1)
	cases := []struct {
		name, msg string
		want      error
	}{
		{"plain", "From: <" + a.String() + ">\r\nSubject: x\r\n\r\nbody", nil},
		{"display name", "From: Alice <" + strings.ToUpper(a.Hex()) + "@YGGMAIL>\r\n\r\nbody", nil},
		{"header only", "From: " + a.String() + "\r\n", nil},
		{"bare LF", "From: " + a.String() + "\nSubject: x\n\nbody\n", nil},
		{"no From", "Subject: x\r\n\r\nbody", ErrNoFrom},
		{"two addresses", "From: " + a.String() + ", " + testAddr(t, 2).String() + "\r\n\r\n", ErrBadHeader},
		{"other domain", "From: someone@example.org\r\n\r\n", ErrBadHeader},
		{"garbage", "\x00\x01\x02", ErrBadHeader},
		{"huge header", "X: " + strings.Repeat("a", maxHeaderBytes+10) + "\r\n\r\n", ErrHeaderTooBig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			from, rest, err := readHeaderFrom(strings.NewReader(c.msg))
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if err != nil {
				return
			}
			if from != a {
				t.Errorf("from = %s, want %s", from, a)
			}
			all, _ := io.ReadAll(rest)
			if string(all) != c.msg {
				t.Errorf("message altered: %q", all)
			}
		})
	}
}

// FuzzReadHeaderFrom: any input either fails with an error or yields the
// whole input unchanged; it never panics.
func FuzzReadHeaderFrom(f *testing.F) {
	a := testAddr(f, 1)
	f.Add([]byte("From: <" + a.String() + ">\r\n\r\nbody"))
	f.Add([]byte("From: =?utf-8?q?x?= <" + a.String() + ">\r\n\r\n"))
	f.Add([]byte("From:\r\n\r\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, rest, err := readHeaderFrom(bytes.NewReader(msg))
		if err != nil {
			return
		}
		all, _ := io.ReadAll(rest)
		if !bytes.Equal(all, msg) {
			t.Fatalf("message altered")
		}
	})
}

package imapd

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/mailheader"
)

func TestSentCopyKey(t *testing.T) {
	want, _ := mailbox.SentCopyKey("<a@b>")
	for _, tc := range []struct {
		msg string
		ok  bool
	}{
		{"Message-ID: <a@b>\r\nSubject: x\r\n\r\nbody", true},
		{"Subject: x\nmessage-id:   <a@b> \n\nbody", true},
		{"Subject: x\r\nMessage-ID:\r\n <a@b>\r\n\r\n", true}, // folded
		{"Subject: x\r\n\r\nMessage-ID: <a@b>\r\n", false},    // in the body
		{"Subject: x\r\n\r\n", false},
		{"", false},
		{"Message-ID: <a@b>", true}, // a header without body or line end
		// the cases submission once read differently: its Message-ID is
		// the first non-empty one, folded or not, whatever the line ends
		{"Message-ID:\r\nMessage-ID: <a@b>\r\n\r\n", true},
		{"Message-ID: \nSubject: x\nMessage-ID:\n\t<a@b>\n\nbody\n", true},
		{"Subject: x\r\n\r\r\nMessage-ID: <a@b>\r\n\r\n", true},
		{"Message-ID: <a@b>\r\nX: " + strings.Repeat("x", mailheader.DefaultMax) + "\r\n\r\n", false}, // larger than submission takes
	} {
		key, body, err := sentCopyKey(strings.NewReader(tc.msg))
		if err != nil {
			t.Fatalf("%q: %v", tc.msg, err)
		}
		if got := key != nil && *key == want; got != tc.ok {
			t.Errorf("%q: key %x, want match %v", tc.msg, key, tc.ok)
		}
		all, _ := io.ReadAll(body)
		if string(all) != tc.msg {
			t.Errorf("%q: body came back as %q", tc.msg, all)
		}
	}
}

// FuzzSentCopyKey: any appended message comes back whole, whatever its
// header looks like.
func FuzzSentCopyKey(f *testing.F) {
	f.Add([]byte("Message-ID: <a@b>\r\n\r\nbody"))
	f.Add([]byte("Message-ID: <a@b\r\n x>\n\n"))
	f.Add([]byte(":\r\n\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, body, err := sentCopyKey(bytes.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		all, err := io.ReadAll(body)
		if err != nil || !bytes.Equal(all, msg) {
			t.Fatalf("message changed: %q -> %q (%v)", msg, all, err)
		}
	})
}

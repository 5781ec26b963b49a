package peer

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// fuzzRelay is the RelayService of fuzzed sessions: carol is a member; it
// checks, through counter, that a deposit is never offered more than its
// announced size, and answers each command with nil, an *Error or a plain
// error depending on its input.
type fuzzRelay struct{ counter *counter }

func (f *fuzzRelay) Admit(_, rcpt envelope.Address) error {
	switch {
	case rcpt == carol:
		return nil
	case rcpt[0]%2 == 0:
		return &Error{452, "4.2.2", "over quota"}
	}
	return errors.New("not a member")
}

func (f *fuzzRelay) Deposit(ctx context.Context, peer, rcpt envelope.Address, size int64, r io.Reader) ([]byte, error) {
	if err := f.counter.Receive(ctx, peer, rcpt, size, r); err != nil && !errors.Is(err, ErrDuplicate) {
		return nil, err
	}
	if size%5 == 2 {
		return nil, nil // a service bug: no receipt
	}
	return []byte("receipt"), nil
}

func (f *fuzzRelay) Register(_ context.Context, _ envelope.Address, b []byte) error {
	return blobResult(b)
}

func (f *fuzzRelay) Publish(_ context.Context, _ envelope.Address, b []byte) error {
	return blobResult(b)
}

func blobResult(b []byte) error {
	switch len(b) % 3 {
	case 1:
		return &Error{550, "5.7.1", "refused"}
	case 2:
		return fmt.Errorf("bad\r\nblob %q", b)
	}
	return nil
}

func (f *fuzzRelay) Drop(context.Context, envelope.Address, []envelope.ID) error { return nil }

func (f *fuzzRelay) HandOver(context.Context, envelope.Address, net.Conn) error {
	return errors.New("fuzzed sessions cannot sign a challenge")
}

func relaySeeds() []string {
	b64 := base64.StdEncoding.EncodeToString
	mail := fmt.Sprintf("MAIL FROM:<%s> SIZE=5\r\n", alice)
	return []string{
		" EHLO x\r\n" + mail + fmt.Sprintf("RCPT TO:<%s>\r\n", carol) + "BDAT 5 LAST\r\nhelloQUIT\r\n",
		" EHLO x\r\n" + mail + fmt.Sprintf("RCPT TO:<%s>\r\n", alice) + "RSET\r\n",
		" EHLO x\r\nREGISTER " + b64([]byte("reg")) + "\r\nRECORD " + b64(make([]byte, 800)) + "\r\nRECORD !!\r\n",
		" EHLO x\r\nDROP " + strings.Repeat("0", 32) + " " + strings.Repeat("f", 32) + "\r\nDROP 1\r\n",
		" EHLO x\r\nRELAYS " + carol.String() + "\r\nRELAYS " + bob.String() + "\r\nRELAYS x\r\n",
		" EHLO x\r\nATRN\r\n" + b64(make([]byte, 64)) + "\r\nATRN\r\n*\r\nATRN\r\n",
		" ATRN\r\nREGISTER\r\n" + strings.Repeat("B", 1100) + "\r\nNOOP\r\n",
	}
}

// FuzzCustody parses arbitrary custody reply texts: no panic, and what
// parses survives a format/parse round trip.
func FuzzCustody(f *testing.F) {
	for _, s := range []string{"custody cmVjZWlwdA==", "custody", "CUSTODY AA== x", "custody ====", "stored", "custody " + strings.Repeat("A", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		receipt, err := parseCustody(text)
		if err != nil {
			return
		}
		again, err := custodyText(receipt)
		if err != nil {
			t.Fatalf("parsed receipt of %d octets cannot be formatted: %v", len(receipt), err)
		}
		back, err := parseCustody(again)
		if err != nil || !bytes.Equal(back, receipt) {
			t.Fatalf("round trip of %q: %q, %v", text, back, err)
		}
	})
}

// FuzzRelayClient plays arbitrary server bytes to the relay client calls:
// no panic, no hang, and a custody receipt only from a reply that said so.
func FuzzRelayClient(f *testing.F) {
	hello := "220 " + bob.String() + " hi\r\n250-" + bob.String() + " greets\r\n250-CHUNKING\r\n250-YGGPOST 1\r\n250 YGGPOST-RELAY 1\r\n"
	for _, s := range []string{
		hello + "250 a\r\n250 b\r\n250 2.0.0 custody cmVjZWlwdA==\r\n250-2.0.0 x\r\n250 AAAA\r\n334 " + strings.Repeat("A", 43) + "=\r\n250 ok\r\n",
		hello + "250 a\r\n250 b\r\n250 2.0.0 stored\r\n550 5.1.1 none\r\n334 x\r\n",
		hello,
		"",
	} {
		f.Add([]byte(s))
	}
	key := newKeyed(f, 5)
	f.Fuzz(func(t *testing.T, input []byte) {
		c, s := net.Pipe()
		go io.Copy(io.Discard, s)
		go func() {
			_, _ = s.Write(input)
			s.Close()
		}()
		done := make(chan struct{})
		go func() {
			defer close(done)
			fuzzRelayCalls(t, c, key, input)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("relay client calls did not return")
		}
	})
}

func fuzzRelayCalls(t *testing.T, c net.Conn, k keyed, input []byte) {
	ctx := context.Background()
	cl := &Client{Local: k.addr, Timeouts: Timeouts{Greeting: time.Second, Command: time.Second, Data: time.Second}}
	sc, err := cl.Open(ctx, c)
	if err != nil {
		return
	}
	defer sc.Close()
	receipt, err := sc.Deposit(ctx, bob, 4, strings.NewReader("abcd"))
	if err == nil && (len(receipt) == 0 || !bytes.Contains(bytes.ToLower(input), []byte("custody"))) {
		t.Fatalf("custody receipt %q from %q", receipt, input)
	}
	_, _ = sc.Relays(ctx, carol)
	if conn, err := sc.TurnAround(ctx, k.key); err == nil {
		_ = conn.Close()
	}
}

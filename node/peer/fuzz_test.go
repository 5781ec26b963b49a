package peer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// counter is a fuzzing Receiver that checks it is never offered more than
// the announced size.
type counter struct {
	mu   sync.Mutex
	over string
}

func (c *counter) Receive(_ context.Context, _, _ envelope.Address, size int64, r io.Reader) error {
	n, err := io.Copy(io.Discard, io.LimitReader(r, size+1))
	if n > size {
		c.mu.Lock()
		c.over = fmt.Sprintf("read %d octets of a %d-octet chunk", n, size)
		c.mu.Unlock()
	}
	if err != nil {
		return err
	}
	if size%3 == 1 {
		return ErrDuplicate
	}
	return nil
}

// ReceiveMessage lets fuzzed sessions reach the DATA path too.
func (c *counter) ReceiveMessage(_ context.Context, _, _ envelope.Address, r io.Reader) error {
	n, err := io.Copy(io.Discard, r)
	if n > fuzzMaxSize {
		c.mu.Lock()
		c.over = fmt.Sprintf("DATA handed out %d octets, limit %d", n, fuzzMaxSize)
		c.mu.Unlock()
	}
	return err
}

const fuzzMaxSize = 1 << 12

func serverSeeds() []string {
	mail := fmt.Sprintf("MAIL FROM:<%s> SIZE=5\r\n", alice)
	rcpt := fmt.Sprintf("RCPT TO:<%s>\r\n", bob)
	tx := " EHLO x\r\n" + mail + rcpt
	return []string{
		"",
		" ",
		"EHLO x\r\n",
		" QUIT\r\n",
		tx + "BDAT 5 LAST\r\nhello",
		tx + "BDAT 5 LAST\r\nhel",
		tx + "BDAT 6 LAST\r\nhello!QUIT\r\n",
		tx + "BDAT 5\r\nhelloBDAT 0 LAST\r\n",
		tx + "BDAT 99999 LAST\r\n",
		tx + "DATA\r\nhi\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n",
		tx + "DATA\r\n..x\r\n.\r\n.\r\n",
		tx + "DATA\r\n" + strings.Repeat("z", 5000) + "\r\n.\r\n",
		" HELO x\r\n" + mail + rcpt + "BDAT 1 LAST\r\nx",
		" EHLO x\r\n" + strings.Repeat("A", 1500) + "\r\nNOOP\n",
		" ehlo x\r\nmail from:<" + alice.String() + ">\r\nrcpt to:<" + bob.String() + ">\r\nbdat 1 last\r\n\x00",
	}
}

// FuzzServer feeds arbitrary client bytes to a session: it must not panic,
// hang, or offer the Receiver more octets than a chunk announced.
func FuzzServer(f *testing.F) {
	for _, s := range serverSeeds() {
		f.Add([]byte(s))
	}
	for _, s := range relaySeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		for _, relay := range []bool{false, true} {
			rec := &counter{}
			srv := &Server{Local: bob, Receiver: rec, MaxSize: fuzzMaxSize,
				Timeouts: Timeouts{Greeting: time.Second, Command: time.Second, Data: time.Second}}
			if relay {
				srv.Relay, srv.Records = &fuzzRelay{counter: rec}, records{carol: []byte("carol's record")}
			}
			fuzzSession(t, srv, input)
			if rec.over != "" {
				t.Fatal(rec.over)
			}
		}
	})
}

// fuzzSession plays input to srv as a client from alice and waits for the
// session to end.
func fuzzSession(t *testing.T, srv *Server, input []byte) {
	c, s := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- srv.ServeConn(context.Background(), s, alice) }()
	go io.Copy(io.Discard, c) // replies
	_, _ = c.Write(input)     // fails once the server hangs up; that is fine
	c.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("ServeConn did not return after the client closed")
	}
}

// FuzzReply parses arbitrary reply bytes: no panic, and whatever parses
// has a valid code and survives a write/read round trip.
func FuzzReply(f *testing.F) {
	for _, s := range []string{
		"250 ok\r\n",
		"250-x greets y\r\n250-SIZE 10\r\n250 YGGPOST 1\r\n",
		"550 5.7.1 sender key does not match\r\n",
		"452 4.5.3\r\n",
		"250\r\n",
		"250-a\r\n251 b\r\n",
		"999 no\r\n",
		"25",
		"250 ok\n",
		"220-" + strings.Repeat("x", 2000) + "\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		r, err := readReply(bufio.NewReader(bytes.NewReader(input)))
		if err != nil {
			return
		}
		if r.Code < 200 || r.Code > 599 || len(r.Lines) == 0 || len(r.Lines) > maxReplyLines {
			t.Fatalf("parsed implausible reply %+v", r)
		}
		if r.Enhanced != "" && r.Enhanced[0] != byte('0'+r.Code/100) {
			t.Fatalf("enhanced code %q does not match %d", r.Enhanced, r.Code)
		}
		var buf bytes.Buffer
		if err := writeReply(&buf, r.Code, r.Enhanced, r.Lines...); err != nil {
			t.Fatal(err)
		}
		again, err := readReply(bufio.NewReader(&buf))
		if err != nil {
			t.Fatalf("re-reading %q: %v", buf.String(), err)
		}
		if again.Code != r.Code || again.Enhanced != r.Enhanced || strings.Join(again.Lines, "\n") != strings.Join(r.Lines, "\n") {
			t.Fatalf("round trip changed %+v into %+v", r, again)
		}
	})
}

// FuzzClient plays arbitrary server bytes to Deliver: no panic, no hang, and
// success only if the bytes advertised the extension.
func FuzzClient(f *testing.F) {
	ok := "220 hi\r\n250-x\r\n250-CHUNKING\r\n250 YGGPOST 1\r\n250 a\r\n250 b\r\n250 stored\r\n221 bye\r\n"
	for _, s := range []string{
		ok,
		"",
		"220 hi\r\n250 x\r\n221 bye\r\n",
		"220 hi\r\n250-x\r\n250-CHUNKING\r\n250 YGGPOST 1\r\n250 a\r\n550 5.1.1 no\r\n250 reset\r\n221 bye\r\n",
		"220 hi\r\n250-x\r\n250-SIZE 1\r\n250-CHUNKING\r\n250 YGGPOST 1\r\n",
		"220 hi\r\n250-x\r\n250-CHUNKING\r\n250 YGGPOST 1\r\n250 a\r\n250 b\r\n451 4.3.0 later\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		c, s := net.Pipe()
		go io.Copy(io.Discard, s) // the client's commands and chunk
		go func() {
			_, _ = s.Write(input)
			s.Close()
		}()
		cl := &Client{Local: alice, Timeouts: Timeouts{Greeting: time.Second, Command: time.Second, Data: time.Second}}
		done := make(chan error, 1)
		go func() { done <- cl.Deliver(context.Background(), c, bob, 4, strings.NewReader("abcd")) }()
		select {
		case err := <-done:
			if err == nil && !bytes.Contains(input, []byte("YGGPOST 1")) {
				t.Fatalf("Deliver succeeded against %q", input)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Deliver did not return")
		}
	})
}

// FuzzPipeline plays arbitrary server bytes to a pipeline of three
// envelopes: no panic, no hang, every envelope gets exactly one outcome,
// and no more envelopes count as stored than the bytes hold replies for.
func FuzzPipeline(f *testing.F) {
	ehlo := "220 hi\r\n250-x\r\n250-CHUNKING\r\n250-PIPELINING\r\n250 YGGPOST 1\r\n"
	tx := "250 a\r\n250 b\r\n250 stored\r\n"
	for _, s := range []string{
		ehlo + tx + tx + tx,
		ehlo + tx + "250 a\r\n550 5.1.1 no\r\n503 5.5.1 no\r\n" + tx,
		ehlo + tx + "250 a\r\n250 b\r\n",
		ehlo + "250-a\r\n250 b\r\n",
		"220 hi\r\n250-x\r\n250-CHUNKING\r\n250 YGGPOST 1\r\n" + tx + tx + tx,
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		c, s := net.Pipe()
		defer c.Close()
		go io.Copy(io.Discard, s) // the client's commands and chunks
		go func() {
			_, _ = s.Write(input)
			s.Close()
		}()
		cl := &Client{Local: alice, Timeouts: Timeouts{Greeting: time.Second, Command: time.Second, Data: time.Second}}
		sc, err := cl.Open(context.Background(), c)
		if err != nil {
			return
		}
		p := sc.Pipeline(context.Background(), 4)
		outcomes := make(chan error, 6)
		queued := 0
		for range 3 {
			if err := p.Send(bob, 4, strings.NewReader("abcd"), func(err error) { outcomes <- err }); err == nil {
				queued++
			}
		}
		finished := make(chan error, 1)
		go func() { finished <- p.Wait() }()
		select {
		case <-finished:
		case <-time.After(10 * time.Second):
			t.Fatal("the pipeline did not finish")
		}
		stored := 0
		for range queued {
			select {
			case err := <-outcomes:
				if err == nil {
					stored++
				}
			default:
				t.Fatalf("%d envelopes queued, fewer outcomes", queued)
			}
		}
		if len(outcomes) != 0 {
			t.Fatalf("more outcomes than envelopes")
		}
		if replies := bytes.Count(input, []byte("\n250 ")); stored > 0 && replies < 3*stored {
			t.Fatalf("%d envelopes stored on %d final 250 lines", stored, replies)
		}
	})
}

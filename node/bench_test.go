package node_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node/nodetest"
)

// benchPair starts two peered nodes and waits until the path between them
// is warm (one message delivered), so benchmarks measure steady state.
func benchPair(b *testing.B) (alice, bob *nodetest.Node) {
	alice = nodetest.Start(b, "alice", nodetest.Options{Listen: true, Quiet: true})
	bob = nodetest.Start(b, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}, Quiet: true})
	alice.MustSend(bob.Addr, nodetest.Message(alice.Addr, bob.Addr, "warm up", "first contact\r\n"))
	bob.WaitInbox(1, 60*time.Second)
	return alice, bob
}

// smtpSession opens an authenticated SMTP connection that stays open.
func smtpSession(b *testing.B, tn *nodetest.Node) *smtp.Client {
	c, err := smtp.Dial(tn.SMTPAddr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if err := c.Auth(sasl.NewPlainClient("", tn.Addr.String(), nodetest.Password)); err != nil {
		b.Fatal(err)
	}
	return c
}

// waitAdded waits for n new messages on the watcher.
func waitAdded(b *testing.B, w *mailbox.Watcher, n int, within time.Duration) {
	timeout := time.After(within)
	for got := 0; got < n; {
		select {
		case c, ok := <-w.C():
			if !ok {
				b.Fatalf("watcher ended: %v", w.Err())
			}
			if c.Kind == mailbox.Added {
				got++
			}
		case <-timeout:
			b.Fatalf("%d of %d messages arrived within %s", got, n, within)
		}
	}
}

func watchInbox(b *testing.B, tn *nodetest.Node) *mailbox.Watcher {
	w, err := tn.Node.Store().Watch("INBOX")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Close)
	return w
}

// BenchmarkSubmitToInbox measures one message from the sender's SMTP DATA
// to the recipient's INBOX commit, over a warm path.
func BenchmarkSubmitToInbox(b *testing.B) {
	alice, bob := benchPair(b)
	c := smtpSession(b, alice)
	w := watchInbox(b, bob)
	msgs := make([][]byte, b.N)
	for i := range msgs { // each one new: a repeated message is one envelope
		msgs[i] = nodetest.Message(alice.Addr, bob.Addr, fmt.Sprintf("latency %d", i), strings.Repeat("x", 1000)+"\r\n")
	}
	b.ResetTimer()
	for i := range b.N {
		if err := c.SendMail(alice.Addr.String(), []string{bob.Addr.String()}, bytes.NewReader(msgs[i])); err != nil {
			b.Fatal(err)
		}
		waitAdded(b, w, 1, 30*time.Second)
	}
}

// BenchmarkBurst1000 sends 1,000 messages of 1 KB back to back over one SMTP
// connection and waits until all are in the recipient's INBOX.
func BenchmarkBurst1000(b *testing.B) {
	alice, bob := benchPair(b)
	c := smtpSession(b, alice)
	w := watchInbox(b, bob)
	const n = 1000
	// Every message differs: the same message submitted twice is the same
	// envelope, and is stored once.
	msgs := make([][]byte, n*b.N)
	for i := range msgs {
		msgs[i] = nodetest.Message(alice.Addr, bob.Addr, fmt.Sprintf("burst %d", i), strings.Repeat("y", 1000)+"\r\n")
	}
	b.ResetTimer()
	start := time.Now()
	for round := range b.N {
		done := make(chan struct{})
		go func() { waitAdded(b, w, n, 5*time.Minute); close(done) }()
		for i := range n {
			if err := c.SendMail(alice.Addr.String(), []string{bob.Addr.String()}, bytes.NewReader(msgs[round*n+i])); err != nil {
				b.Fatal(err)
			}
		}
		<-done
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkBurst1000Clients is BenchmarkBurst1000 from eight mail clients
// at once, 125 messages each over its own SMTP connection: the submissions
// are stored concurrently, as are the deliveries at the recipient.
func BenchmarkBurst1000Clients(b *testing.B) {
	alice, bob := benchPair(b)
	const n, clients = 1000, 8
	conns := make([]*smtp.Client, clients)
	for i := range conns {
		conns[i] = smtpSession(b, alice)
	}
	w := watchInbox(b, bob)
	msgs := make([][]byte, n*b.N)
	for i := range msgs {
		msgs[i] = nodetest.Message(alice.Addr, bob.Addr, fmt.Sprintf("burst %d", i), strings.Repeat("y", 1000)+"\r\n")
	}
	b.ResetTimer()
	start := time.Now()
	var submitting time.Duration // until the last submission was accepted
	for round := range b.N {
		roundStart := time.Now()
		done := make(chan struct{})
		go func() { waitAdded(b, w, n, 5*time.Minute); close(done) }()
		errs := make(chan error, clients)
		for k, c := range conns {
			go func() {
				for i := k; i < n; i += clients {
					if err := c.SendMail(alice.Addr.String(), []string{bob.Addr.String()}, bytes.NewReader(msgs[round*n+i])); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range clients {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		submitting += time.Since(roundStart)
		<-done
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(n*b.N)/submitting.Seconds(), "submitted/s")
}

// BenchmarkLargeMessage sends one 50 MB message end to end and reports the
// throughput and the process's peak resident memory during the transfer
// (both nodes run in this process).
func BenchmarkLargeMessage(b *testing.B) {
	benchLargeMessage(b, func(c *smtp.Client, tn *nodetest.Node, from, to string, body io.Reader, _ int64) error {
		return c.SendMail(from, []string{to}, body)
	})
}

// BenchmarkLargeMessageBDAT is BenchmarkLargeMessage with the message
// submitted in BDAT chunks of 1 MiB (RFC 3030), as a client that uses
// CHUNKING sends it: no dot-stuffing at the client, none to undo at the
// server.
func BenchmarkLargeMessageBDAT(b *testing.B) {
	benchLargeMessage(b, func(_ *smtp.Client, tn *nodetest.Node, from, to string, body io.Reader, size int64) error {
		return sendBDAT(tn, from, to, body, size)
	})
}

// benchLargeMessage sends one message of 64 MiB (8 MiB with -short) per
// round through send and waits until it is in the recipient's INBOX. It
// reports the time until the submission was accepted and from there until
// the delivery, and the heap's and the process's peaks.
func benchLargeMessage(b *testing.B, send func(c *smtp.Client, tn *nodetest.Node, from, to string, body io.Reader, size int64) error) {
	alice, bob := benchPair(b)
	c := smtpSession(b, alice)
	w := watchInbox(b, bob)
	head := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: large\r\n\r\n", alice.Addr, bob.Addr)
	line := strings.Repeat("0123456789", 7) + "\r\n"
	size := 64<<20 - 64<<10 // 64 MiB, within the default size limit with room for the headers the node adds
	if testing.Short() {
		size = 8 << 20
	}
	lines := (size - len(head)) / len(line)
	total := int64(len(head) + lines*len(line))
	b.SetBytes(total)
	runtime.GC()
	baseline := liveHeap()
	stopHeap := sampleHeap()
	resetPeakRSS()
	var submitting, delivering time.Duration
	b.ResetTimer()
	for range b.N {
		// The body is generated as it is read, so the benchmark itself holds
		// no copy of the message.
		body := io.MultiReader(strings.NewReader(head), &repeatReader{line: line, n: lines})
		start := time.Now()
		if err := send(c, alice, alice.Addr.String(), bob.Addr.String(), body, total); err != nil {
			b.Fatal(err)
		}
		submitted := time.Now()
		waitAdded(b, w, 1, 5*time.Minute)
		submitting += submitted.Sub(start)
		delivering += time.Since(submitted)
	}
	b.StopTimer()
	b.ReportMetric(submitting.Seconds()/float64(b.N), "submit-s")
	b.ReportMetric(delivering.Seconds()/float64(b.N), "deliver-s")
	b.ReportMetric(float64(max(stopHeap(), baseline)-baseline)/(1<<20), "peak-heap-growth-MB")
	if peak := peakRSS(); peak > 0 {
		b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
	}
}

// sendBDAT submits size bytes of body from from to to at tn's SMTP port
// on a connection of its own, in BDAT chunks of 1 MiB, pipelined: every
// chunk's reply is read only after the last chunk went out.
func sendBDAT(tn *nodetest.Node, from, to string, body io.Reader, size int64) error {
	conn, err := net.Dial("tcp", tn.SMTPAddr)
	if err != nil {
		return err
	}
	defer conn.Close()
	r := textproto.NewReader(bufio.NewReader(conn))
	w := bufio.NewWriterSize(conn, 64<<10)
	expect := func(code int) error {
		_, _, err := r.ReadResponse(code)
		return err
	}
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + tn.Addr.String() + "\x00" + nodetest.Password))
	if err := expect(220); err != nil {
		return err
	}
	fmt.Fprintf(w, "EHLO bench\r\nAUTH PLAIN %s\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\n", auth, from, to)
	if err := w.Flush(); err != nil {
		return err
	}
	for _, code := range []int{250, 235, 250, 250} {
		if err := expect(code); err != nil {
			return err
		}
	}
	const chunk = 1 << 20
	chunks := 0
	for left := size; left > 0; left -= chunk {
		n := min(left, chunk)
		last := ""
		if n == left {
			last = " LAST"
		}
		fmt.Fprintf(w, "BDAT %d%s\r\n", n, last)
		if _, err := io.CopyN(w, body, n); err != nil {
			return err
		}
		chunks++
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for range chunks {
		if err := expect(250); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "QUIT\r\n")
	return w.Flush()
}

// repeatReader yields line n times.
type repeatReader struct {
	line string
	n    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 && r.n > 0 {
		c := copy(p, r.line[r.off:])
		p, total, r.off = p[c:], total+c, r.off+c
		if r.off == len(r.line) {
			r.off, r.n = 0, r.n-1
		}
	}
	if total == 0 && r.n == 0 {
		return 0, io.EOF
	}
	return total, nil
}

// liveHeap reads the bytes of live heap objects now.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// sampleHeap samples the live heap every 5 ms until the returned function
// is called, which reports the largest sample in bytes. Unlike RSS it
// leaves out Badger's memory-mapped files, which the kernel can reclaim.
func sampleHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var peakSoFar uint64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peakSoFar = max(peakSoFar, sample[0].Value.Uint64())
			select {
			case <-done:
				peak <- peakSoFar
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); return <-peak }
}

// resetPeakRSS resets the kernel's high-water mark of resident memory
// (Linux: "5" to /proc/self/clear_refs); peakRSS reads it back in bytes.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func peakRSS() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

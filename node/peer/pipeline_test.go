package peer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// outcomes collects what a pipeline reported for each envelope.
type outcomes struct {
	mu   sync.Mutex
	errs map[int][]error // by index; more than one is a defect
	all  sync.WaitGroup
}

func newOutcomes(n int) *outcomes {
	o := &outcomes{errs: map[int][]error{}}
	o.all.Add(n)
	return o
}

func (o *outcomes) done(i int) func(error) {
	return func(err error) {
		o.mu.Lock()
		o.errs[i] = append(o.errs[i], err)
		o.mu.Unlock()
		o.all.Done()
	}
}

// wait waits for every outcome and returns them, one per envelope.
func (o *outcomes) wait(t *testing.T, n int) []error {
	t.Helper()
	finished := make(chan struct{}, 1)
	go func() { o.all.Wait(); finished <- struct{}{} }()
	wait(t, finished, "every outcome")
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]error, n)
	for i := range n {
		if len(o.errs[i]) != 1 {
			t.Fatalf("envelope %d: %d outcomes, want exactly one", i, len(o.errs[i]))
		}
		out[i] = o.errs[i][0]
	}
	return out
}

func TestPipelineStoresEveryEnvelopeOnce(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			st := &store{}
			sc, done := openClientOn(t, tr.pair, newServer(st), alice)
			if !sc.Pipelining() {
				t.Fatal("the server does not offer PIPELINING")
			}
			const n = 200
			p := sc.Pipeline(context.Background(), 16)
			o := newOutcomes(n)
			var want [][]byte
			for i := range n {
				body := payload(1+i*131, byte(i)) // up to 26 KB, all stored beside the session
				if i == n/2 {
					body = payload(storeAsideMax+1, byte(i)) // one streamed in the middle
				}
				want = append(want, body)
				if err := p.Send(bob, int64(len(body)), bytes.NewReader(body), o.done(i)); err != nil {
					t.Fatalf("Send %d: %v", i, err)
				}
			}
			for i, err := range o.wait(t, n) {
				if err != nil {
					t.Fatalf("envelope %d: %v", i, err)
				}
			}
			if err := p.Wait(); err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if err := sc.Quit(context.Background()); err != nil {
				t.Fatalf("Quit after the pipeline: %v", err)
			}
			if err := wait(t, done, "ServeConn"); err != nil {
				t.Fatalf("ServeConn: %v", err)
			}
			got := st.stored()
			if len(got) != n {
				t.Fatalf("stored %d envelopes, want %d", len(got), n)
			}
			seen := map[string]bool{}
			for _, b := range got {
				seen[string(b)] = true
			}
			for i, b := range want {
				if !seen[string(b)] {
					t.Fatalf("envelope %d not stored intact", i)
				}
			}
		})
	}
}

// meeting is a Receiver whose calls return only once want of them are
// inside Receive at the same time; it proves the server stores envelopes
// of a pipeline concurrently. A server that stored one at a time would
// never get there, and the pipeline would time out.
type meeting struct {
	want    int32
	inside  atomic.Int32
	most    atomic.Int32
	arrived chan struct{}
	once    sync.Once
}

func (m *meeting) Receive(ctx context.Context, _, _ envelope.Address, _ int64, r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	now := m.inside.Add(1)
	defer m.inside.Add(-1)
	for {
		most := m.most.Load()
		if now <= most || m.most.CompareAndSwap(most, now) {
			break
		}
	}
	if now >= m.want {
		m.once.Do(func() { close(m.arrived) })
	}
	select {
	case <-m.arrived:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(5 * time.Second):
		return errors.New("the other envelopes of the window never arrived")
	}
}

func TestPipelineStoresAWindowAtOnce(t *testing.T) {
	m := &meeting{want: 8, arrived: make(chan struct{})}
	sc, _ := openClient(t, newServer(m), alice)
	p := sc.Pipeline(context.Background(), 8)
	o := newOutcomes(8)
	for i := range 8 {
		if err := p.Send(bob, 10, strings.NewReader(fmt.Sprintf("envelope%02d", i)), o.done(i)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	for i, err := range o.wait(t, 8) {
		if err != nil {
			t.Fatalf("envelope %d: %v", i, err)
		}
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if got := m.most.Load(); got != 8 {
		t.Fatalf("at most %d envelopes were being stored at once, want 8", got)
	}
}

func TestPipelineKeepsToItsWindow(t *testing.T) {
	// With a window of 3 the fourth envelope is not even written while
	// three wait for their replies, so no more than 3 are stored at once.
	st := &countingStore{inner: &store{}}
	sc, _ := openClient(t, newServer(st), alice)
	p := sc.Pipeline(context.Background(), 3)
	o := newOutcomes(30)
	for i := range 30 {
		if err := p.Send(bob, 10, strings.NewReader(fmt.Sprintf("envelope%02d", i)), o.done(i)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	for i, err := range o.wait(t, 30) {
		if err != nil {
			t.Fatalf("envelope %d: %v", i, err)
		}
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if most := st.most.Load(); most > 3 || most < 1 {
		t.Fatalf("%d envelopes unanswered at once, want 1 to 3", most)
	}
}

// countingStore records how many envelopes the server had received but not
// yet answered at once (a bound on the client's window).
type countingStore struct {
	inner  Receiver
	inside atomic.Int32
	most   atomic.Int32
}

func (c *countingStore) Receive(ctx context.Context, peer, rcpt envelope.Address, size int64, r io.Reader) error {
	now := c.inside.Add(1)
	defer c.inside.Add(-1)
	for most := c.most.Load(); now > most && !c.most.CompareAndSwap(most, now); most = c.most.Load() {
	}
	time.Sleep(time.Millisecond) // a store takes a moment: lets a wider window show
	return c.inner.Receive(ctx, peer, rcpt, size, r)
}

func TestPipelineRefusalsStayWithTheirEnvelope(t *testing.T) {
	st := &store{fail: func(b []byte) error {
		if b[0] == 'x' {
			return &Error{554, "5.7.0", "bad signature"}
		}
		return nil
	}}
	sc, done := openClient(t, newServer(st), alice)
	p := sc.Pipeline(context.Background(), 8)
	const n = 12
	o := newOutcomes(n)
	for i := range n {
		body, rcpt := fmt.Sprintf("ok%02d", i), bob
		switch i % 4 {
		case 1:
			body = fmt.Sprintf("x%03d", i) // refused by the store
		case 2:
			rcpt = carol // refused at RCPT
		}
		if err := p.Send(rcpt, int64(len(body)), strings.NewReader(body), o.done(i)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	for i, err := range o.wait(t, n) {
		var e *Error
		switch i % 4 {
		case 1:
			if !errors.As(err, &e) || e.Code != 554 {
				t.Fatalf("envelope %d: %v, want the store's 554", i, err)
			}
		case 2:
			if !errors.As(err, &e) || e.Code != 550 || !strings.Contains(err.Error(), "RCPT") {
				t.Fatalf("envelope %d: %v, want 550 at RCPT", i, err)
			}
		default:
			if err != nil {
				t.Fatalf("envelope %d: %v", i, err)
			}
		}
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if err := sc.Quit(context.Background()); err != nil {
		t.Fatalf("Quit: %v", err)
	}
	if err := wait(t, done, "ServeConn"); err != nil {
		t.Fatalf("ServeConn: %v", err)
	}
	if got := len(st.stored()); got != n/2 {
		t.Fatalf("stored %d, want %d", got, n/2)
	}
}

func TestPipelineLostSessionFailsWhatIsInFlight(t *testing.T) {
	g := &gate{got: make(chan []byte, 8), release: make(chan struct{})}
	c, s := tcpPair(t)
	done := serve(t, newServer(g), s, alice)
	sc, err := (&Client{Local: alice, Timeouts: quick}).Open(context.Background(), c)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	p := sc.Pipeline(context.Background(), 4)
	o := newOutcomes(4)
	for i := range 4 {
		if err := p.Send(bob, 3, strings.NewReader(fmt.Sprintf("e%02d", i)), o.done(i)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	for range 4 {
		wait(t, g.got, "the server to read an envelope")
	}
	s.Close() // the stream breaks while all four are being stored
	for i, err := range o.wait(t, 4) {
		if err == nil || isReply(err) {
			t.Fatalf("envelope %d: %v, want a transport error (outcome unknown)", i, err)
		}
	}
	if err := p.Send(bob, 3, strings.NewReader("e99"), func(error) { t.Error("done called for a refused Send") }); err == nil {
		t.Fatal("Send on a lost session succeeded")
	}
	if err := p.Wait(); err == nil {
		t.Fatal("Wait reported a lost session as fine")
	}
	close(g.release)
	wait(t, done, "ServeConn")
}

func TestPipelineDeposits(t *testing.T) {
	relayKey, member := newKeyed(t, 1), newKeyed(t, 2)
	mem := newMemRelay(relayKey.addr, member.addr)
	sc, _ := openClient(t, relayServer(relayKey.addr, mem), alice)
	p := sc.Pipeline(context.Background(), 8)
	const n = 20
	receipts := make([][]byte, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		body := []byte(fmt.Sprintf("deposit %02d", i))
		wg.Add(1)
		err := p.Deposit(member.addr, int64(len(body)), bytes.NewReader(body), func(receipt []byte, err error) {
			receipts[i], errs[i] = receipt, err
			wg.Done()
		})
		if err != nil {
			t.Fatalf("Deposit %d: %v", i, err)
		}
	}
	finished := make(chan struct{}, 1)
	go func() { wg.Wait(); finished <- struct{}{} }()
	wait(t, finished, "every deposit")
	for i := range n {
		body := []byte(fmt.Sprintf("deposit %02d", i))
		if errs[i] != nil || !bytes.Equal(receipts[i], receiptOf(body)) {
			t.Fatalf("deposit %d: receipt %q, err %v", i, receipts[i], errs[i])
		}
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if got := mem.heldFor(member.addr); got != n {
		t.Fatalf("relay holds %d, want %d", got, n)
	}
}

package relay

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// idOffset is where the envelope id sits in the outer header; benchmarks
// rewrite it to deposit one sealed envelope many times as distinct ones
// (the relay does not look past the header).
const idOffset = len(envelope.Magic) + 1 + 32

func withID(env []byte, n uint64) []byte {
	c := bytes.Clone(env)
	binary.BigEndian.PutUint64(c[idOffset+8:], n)
	return c
}

func benchRelay(b *testing.B) *Relay {
	r, _, _ := testRelay(b, func(o *Options) {
		o.Now = time.Now
		o.MemberEnvelopes = 1 << 30
		o.MemberBytes = 1 << 40
		o.MaxEnvelope = 1 << 30
		o.MaxDeposits = 256
	})
	register(b, r, bobKey, "")
	return r
}

// fill deposits n copies of env with distinct ids from 16 goroutines.
func fill(b *testing.B, r *Relay, env []byte, n int) {
	var next atomic.Uint64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1); i <= uint64(n); i = next.Add(1) {
				e := withID(env, i)
				if _, err := r.Deposit(aliceAddr, int64(len(e)), bytes.NewReader(e)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkHandOver10k: 10,000 envelopes of 1 KiB pending for one member,
// listed and streamed in full, as on a reconnect.
func BenchmarkHandOver10k(b *testing.B) {
	const n = 10000
	r := benchRelay(b)
	env, _ := seal(b, aliceKey, bobAddr, randomBody(1024, 1))
	start := time.Now()
	fill(b, r, env, n)
	fillRate := float64(n) / time.Since(start).Seconds()
	base, peak := heapSampler(b)
	b.ResetTimer()
	for b.Loop() {
		p, err := r.Pending(bobAddr)
		if err != nil || len(p) != n {
			b.Fatalf("Pending = %d, %v", len(p), err)
		}
		for _, h := range p {
			rc, _, err := r.Open(bobAddr, h.ID)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				b.Fatal(err)
			}
			rc.Close()
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "envelopes/s")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(base)/(1<<20), "heap-before-MiB")
	b.ReportMetric(fillRate, "fill-deposits/s")
}

// BenchmarkDeposit measures deposits until fsynced, one at a time and 16
// at once.
func BenchmarkDeposit(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20} {
		env, _ := seal(b, aliceKey, bobAddr, randomBody(size, 2))
		b.Run(fmt.Sprintf("%dKiB/serial", size>>10), func(b *testing.B) {
			r := benchRelay(b)
			b.SetBytes(int64(len(env)))
			var i uint64
			for b.Loop() {
				i++
				e := withID(env, i)
				if _, err := r.Deposit(aliceAddr, int64(len(e)), bytes.NewReader(e)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%dKiB/parallel16", size>>10), func(b *testing.B) {
			r := benchRelay(b)
			b.SetBytes(int64(len(env)))
			b.SetParallelism(8) // 8 × GOMAXPROCS(2) = 16 depositors
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					e := withID(env, next.Add(1))
					if _, err := r.Deposit(aliceAddr, int64(len(e)), bytes.NewReader(e)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deposits/s")
		})
	}
}

// BenchmarkAck measures the delete of one handed-over 1 KiB envelope until
// fsynced, one at a time as a hand-over session acks: the relay's share of
// the per-envelope cost of a hand-over.
func BenchmarkAck(b *testing.B) {
	r := benchRelay(b)
	env, _ := seal(b, aliceKey, bobAddr, randomBody(1024, 3))
	fill(b, r, env, b.N)
	pending, err := r.Pending(bobAddr)
	if err != nil || len(pending) != b.N {
		b.Fatalf("Pending = %d, %v; want %d", len(pending), err, b.N)
	}
	b.ResetTimer()
	for i := range b.N {
		if err := r.Ack(bobAddr, pending[i].ID); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st := r.Status(); st.Envelopes != 0 || st.HandOvers != uint64(b.N) {
		b.Fatalf("after %d acks the relay holds %d envelopes and counted %d hand-overs", b.N, st.Envelopes, st.HandOvers)
	}
}

// BenchmarkMemberBurst2000 deposits 2,000 envelopes of 1 KiB from one
// member, one at a time, with the default rate limits: none is refused,
// and the figure is the time the burst takes to reach the relay.
func BenchmarkMemberBurst2000(b *testing.B) {
	env, _ := seal(b, aliceKey, bobAddr, randomBody(1<<10, 3))
	for b.Loop() {
		r, _, _ := testRelay(b, func(o *Options) { o.DepositRate, o.Now = 0, nil })
		register(b, r, bobKey, "")
		register(b, r, aliceKey, "")
		start := time.Now()
		for i := range 2000 {
			e := withID(env, uint64(i+1))
			if _, err := r.Deposit(aliceAddr, int64(len(e)), bytes.NewReader(e)); err != nil {
				b.Fatalf("deposit %d of a member's burst: %v", i, err)
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/burst")
	}
}

// BenchmarkAckConcurrent acks handed-over 1 KiB envelopes from 16
// goroutines at once, as parallel hand-over sessions do.
func BenchmarkAckConcurrent(b *testing.B) {
	r := benchRelay(b)
	env, _ := seal(b, aliceKey, bobAddr, randomBody(1024, 3))
	fill(b, r, env, b.N)
	pending, err := r.Pending(bobAddr)
	if err != nil || len(pending) != b.N {
		b.Fatalf("Pending = %d, %v; want %d", len(pending), err, b.N)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 16 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				if err := r.Ack(bobAddr, pending[i].ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "acks/s")
	if st := r.Status(); st.Envelopes != 0 || st.HandOvers != uint64(b.N) {
		b.Fatalf("after %d acks the relay holds %d envelopes and counted %d hand-overs", b.N, st.Envelopes, st.HandOvers)
	}
}

// BenchmarkAckAll100 acks 100 handed-over 1 KiB envelopes with one AckAll,
// as a session acknowledging a window at once; acks/s counts envelopes.
func BenchmarkAckAll100(b *testing.B) {
	r := benchRelay(b)
	env, _ := seal(b, aliceKey, bobAddr, randomBody(1024, 3))
	fill(b, r, env, 100*b.N)
	pending, err := r.Pending(bobAddr)
	if err != nil || len(pending) != 100*b.N {
		b.Fatalf("Pending = %d, %v; want %d", len(pending), err, 100*b.N)
	}
	ids := make([]envelope.ID, len(pending))
	for i, h := range pending {
		ids[i] = h.ID
	}
	b.ResetTimer()
	for i := range b.N {
		if err := r.AckAll(bobAddr, ids[100*i:100*(i+1)]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "acks/s")
	if st := r.Status(); st.Envelopes != 0 || st.HandOvers != uint64(100*b.N) {
		b.Fatalf("after %d acks the relay holds %d envelopes and counted %d hand-overs", 100*b.N, st.Envelopes, st.HandOvers)
	}
}

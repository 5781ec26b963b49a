package mailsort

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

const large = 100_000

// chainMailbox is a reply chain of n messages, each answering the one
// before it, with the last two IDs in References as many mailers trim
// them. reversed gives the messages newest first in sequence order.
func chainMailbox(n int, reversed bool) []Message {
	msgs := make([]Message, n)
	for i := range msgs {
		m := Message{
			Num:       uint32(i + 1),
			Date:      day(0).Add(time.Duration(i) * time.Minute),
			MessageID: "<" + strconv.Itoa(i) + "@chain>",
			Subject:   "Re: chain",
		}
		if i > 0 {
			m.InReplyTo = "<" + strconv.Itoa(i-1) + "@chain>"
			m.References = "<" + strconv.Itoa(max(i-2, 0)) + "@chain> " + m.InReplyTo
		}
		msgs[i] = m
	}
	if reversed {
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			msgs[i], msgs[j] = msgs[j], msgs[i]
		}
		for i := range msgs {
			msgs[i].Num = uint32(i + 1)
		}
	}
	return msgs
}

// flatMailbox is n unrelated messages; with sameSubject all have one
// subject, which step 5 of REFERENCES then gathers under one dummy.
func flatMailbox(n int, sameSubject bool) []Message {
	msgs := make([]Message, n)
	for i := range msgs {
		subject := "topic " + strconv.Itoa(i)
		if sameSubject {
			subject = "topic"
		}
		msgs[i] = Message{
			Num:       uint32(i + 1),
			Arrival:   day(0).Add(time.Duration(n-i) * time.Second),
			Size:      int64(i % 1000),
			MessageID: "<" + strconv.Itoa(i) + "@flat>",
			Subject:   subject,
			From:      "user" + strconv.Itoa(i%777),
		}
	}
	return msgs
}

func TestLargeChain(t *testing.T) {
	for _, reversed := range []bool{false, true} {
		threads := References(chainMailbox(large, reversed))
		if len(threads) != 1 || len(threads[0].Chain) != large || len(threads[0].SubThreads) != 0 {
			t.Fatalf("reversed %v: %d threads, want one chain of %d", reversed, len(threads), large)
		}
		for i, num := range threads[0].Chain {
			want := uint32(i + 1)
			if reversed {
				want = uint32(large - i)
			}
			if num != want {
				t.Fatalf("reversed %v: chain[%d] = %d, want %d", reversed, i, num, want)
			}
		}
	}
}

// TestLargeNesting threads a chain in which every message also has a reply
// of its own: the thread nests large/2 deep, which neither building nor
// formatting may recurse through.
func TestLargeNesting(t *testing.T) {
	msgs := make([]Message, large)
	for i := range msgs {
		msgs[i] = Message{Num: uint32(i + 1), Date: day(0).Add(time.Duration(i) * time.Minute)}
		if i%2 == 0 {
			msgs[i].MessageID = "<" + strconv.Itoa(i) + "@nest>"
		}
		if i >= 1 {
			// Odd messages answer the one before; even ones the one
			// two before, so each even message has two replies.
			msgs[i].InReplyTo = "<" + strconv.Itoa((i-1)/2*2) + "@nest>"
		}
	}
	wire := Format(References(msgs))
	if want := nestedWire(large); wire != want {
		t.Errorf("wire form starts %.60q, ends %.60q; want %.60q ... %.60q",
			wire, wire[max(len(wire)-60, 0):], want, want[len(want)-60:])
	}
}

// nestedWire is the wire form of TestLargeNesting's thread:
// "(1 (2)(3 (4)(5 ... (n-2)(n-1 n)...)))".
func nestedWire(n int) string {
	var b strings.Builder
	b.WriteString("(1")
	depth := 1
	for k := 1; k+1 <= n; k += 2 {
		if k+2 > n {
			b.WriteString(" " + strconv.Itoa(k+1))
			break
		}
		b.WriteString(" (" + strconv.Itoa(k+1) + ")(" + strconv.Itoa(k+2))
		depth++
	}
	b.WriteString(strings.Repeat(")", depth))
	return b.String()
}

func TestLargeFlat(t *testing.T) {
	for _, same := range []bool{false, true} {
		msgs := flatMailbox(large, same)
		threads := References(msgs)
		ordered := OrderedSubject(msgs)
		sorted := Sort(msgs, []Criterion{{Key: KeySubject}, {Key: KeyFrom, Reverse: true}, {Key: KeySize}})
		wantThreads := large
		if same {
			wantThreads = 1
		}
		if len(threads) != wantThreads || len(ordered) != wantThreads || len(sorted) != large {
			t.Errorf("same subject %v: %d REFERENCES threads, %d ORDEREDSUBJECT threads, %d sorted",
				same, len(threads), len(ordered), len(sorted))
		}
		checkAllOnce(t, threads, len(msgs))
	}
}

// checkAllOnce checks that threads hold each of the Nums 1 to n once, and
// that every dummy holds two subthreads or more.
func checkAllOnce(t *testing.T, threads []Thread, n int) {
	t.Helper()
	seen := make([]bool, n+1)
	stack := make([]*Thread, 0, len(threads))
	for i := range threads {
		stack = append(stack, &threads[i])
	}
	for len(stack) > 0 {
		th := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if len(th.SubThreads) == 1 || len(th.Chain) == 0 && len(th.SubThreads) < 2 {
			t.Fatalf("thread %v has %d subthreads", th.Chain, len(th.SubThreads))
		}
		for _, num := range th.Chain {
			if num == 0 || int(num) > n || seen[num] {
				t.Fatalf("Num %d out of range or seen twice", num)
			}
			seen[num] = true
		}
		for i := range th.SubThreads {
			stack = append(stack, &th.SubThreads[i])
		}
	}
	for num := 1; num <= n; num++ {
		if !seen[num] {
			t.Fatalf("Num %d missing", num)
		}
	}
}

func BenchmarkReferencesChain(b *testing.B) {
	msgs := chainMailbox(large, false)
	for b.Loop() {
		References(msgs)
	}
}

func BenchmarkReferencesChainReversed(b *testing.B) {
	msgs := chainMailbox(large, true)
	for b.Loop() {
		References(msgs)
	}
}

func BenchmarkReferencesFlat(b *testing.B) {
	msgs := flatMailbox(large, false)
	for b.Loop() {
		References(msgs)
	}
}

func BenchmarkReferencesFlatSameSubject(b *testing.B) {
	msgs := flatMailbox(large, true)
	for b.Loop() {
		References(msgs)
	}
}

func BenchmarkOrderedSubject(b *testing.B) {
	msgs := flatMailbox(large, false)
	for b.Loop() {
		OrderedSubject(msgs)
	}
}

func BenchmarkSortSubjectFromSize(b *testing.B) {
	msgs := flatMailbox(large, false)
	criteria := []Criterion{{Key: KeySubject}, {Key: KeyFrom, Reverse: true}, {Key: KeySize}}
	for b.Loop() {
		Sort(msgs, criteria)
	}
}

func BenchmarkSortDate(b *testing.B) {
	msgs := flatMailbox(large, false)
	for b.Loop() {
		Sort(msgs, []Criterion{{Key: KeyDate}})
	}
}

func BenchmarkFormatChain(b *testing.B) {
	threads := References(chainMailbox(large, false))
	for b.Loop() {
		Format(threads)
	}
}

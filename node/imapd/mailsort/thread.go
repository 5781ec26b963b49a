package mailsort

import (
	"slices"
	"strconv"
	"strings"
)

// A Thread is one thread-list of a THREAD response (RFC 5256 §4), in the
// shape of go-imap's client-side imapclient.ThreadData: Chain holds the
// messages of the thread's trunk, each the only child of the one before
// it, and SubThreads the threads that branch off the last of them, oldest
// first. A thread whose root is a dummy (a message outside the set that
// holds its children together, which THREAD responses never show) has an
// empty Chain and at least two SubThreads.
//
// The thread of RFC 5256's example "(3 6 (4 23)(44 7 96))" is
// Thread{Chain: {3, 6}, SubThreads: {{Chain: {4, 23}}, {Chain: {44, 7, 96}}}}.
type Thread struct {
	Chain      []uint32
	SubThreads []Thread
}

// String returns t's thread-list as it goes on the wire, such as
// "(3 6 (4 23)(44 7 96))".
func (t Thread) String() string {
	var b strings.Builder
	writeThread(&b, &t)
	return b.String()
}

// Format returns the thread lists of a THREAD response as they follow
// "* THREAD " on the wire, such as "(2)(3 6 (4 23)(44 7 96))": RFC 5256 §4
// puts no space between thread lists, nor between nested ones. It writes
// the threads as given; those of OrderedSubject and References follow the
// grammar (a nested part has two thread lists or more). go-imap's client
// (v2.0.0-beta.8) reads the text back into ThreadData equal to the
// Threads, but it refuses lists nested more than 1000 deep, which a thread
// with that many branchings one below the other needs.
func Format(threads []Thread) string {
	var b strings.Builder
	for i := range threads {
		writeThread(&b, &threads[i])
	}
	return b.String()
}

// writeThread writes one thread-list with a stack of its own, as a thread
// may nest as deep as a reply chain is long.
func writeThread(b *strings.Builder, root *Thread) {
	type frame struct {
		t    *Thread
		next int // the next subthread to write
	}
	openThread(b, root)
	stack := []frame{{t: root}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next == len(top.t.SubThreads) {
			b.WriteByte(')')
			stack = stack[:len(stack)-1]
			continue
		}
		sub := &top.t.SubThreads[top.next]
		top.next++
		openThread(b, sub)
		stack = append(stack, frame{t: sub})
	}
}

// openThread writes the "(", the chain and, when subthreads follow a chain,
// the space between them: thread-members = nz-number *(SP nz-number)
// [SP thread-nested].
func openThread(b *strings.Builder, t *Thread) {
	var digits [10]byte
	b.WriteByte('(')
	for i, num := range t.Chain {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.Write(strconv.AppendUint(digits[:0], uint64(num), 10))
	}
	if len(t.Chain) > 0 && len(t.SubThreads) > 0 {
		b.WriteByte(' ')
	}
}

// OrderedSubject threads msgs by the ORDEREDSUBJECT algorithm of RFC 5256
// §3: messages with the same base subject form a thread, the first by sent
// date its root and every other one a child of the root, in sent date
// order; threads are ordered by the sent date of their root. Equal dates
// fall back to sequence order. Messages with an empty base subject form a
// thread of their own too, as the RFC exempts no subject.
func OrderedSubject(msgs []Message) []Thread {
	rank := dateRanks(msgs)
	subjects := make([]string, len(msgs))
	for i := range msgs {
		subjects[i] = BaseSubject(msgs[i].Subject)
	}
	order := identity(len(msgs))
	slices.SortFunc(order, func(a, b int) int {
		if c := strings.Compare(subjects[a], subjects[b]); c != 0 {
			return c
		}
		return rank[a] - rank[b]
	})
	var groups [][]int
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && subjects[order[j]] == subjects[order[i]] {
			j++
		}
		groups = append(groups, order[i:j])
		i = j
	}
	slices.SortFunc(groups, func(a, b []int) int { return rank[a[0]] - rank[b[0]] })
	threads := make([]Thread, len(groups))
	for i, g := range groups {
		threads[i] = subjectThread(msgs, g)
	}
	return threads
}

// subjectThread is one ORDEREDSUBJECT thread: the root and its children.
// A single child continues the root's chain, as the wire form requires.
func subjectThread(msgs []Message, group []int) Thread {
	t := Thread{Chain: []uint32{msgs[group[0]].Num}}
	switch kids := group[1:]; len(kids) {
	case 0:
	case 1:
		t.Chain = append(t.Chain, msgs[kids[0]].Num)
	default:
		t.SubThreads = make([]Thread, len(kids))
		for i, k := range kids {
			t.SubThreads[i] = Thread{Chain: []uint32{msgs[k].Num}}
		}
	}
	return t
}

// dateRanks gives each message its place in sent date order, sequence
// order breaking ties (RFC 5256 §2.2), so that the threading algorithms
// compare dates as integers.
func dateRanks(msgs []Message) []int {
	order := identity(len(msgs))
	slices.SortStableFunc(order, func(a, b int) int {
		return msgs[a].sentDate().Compare(msgs[b].sentDate())
	})
	rank := make([]int, len(msgs))
	for r, m := range order {
		rank[m] = r
	}
	return rank
}

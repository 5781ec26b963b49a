package mailsort

import "slices"

// none marks the absence of a container: no parent, child or sibling, or
// no message in a dummy.
const none = -1

// A container is a node of the REFERENCES thread tree: a message, or a
// dummy standing for a message that is referred to but not in the set.
// Children are a doubly linked list, so that moving a message from one
// parent to another costs the same however many siblings it has.
type container struct {
	msg                 int // index into the messages, or none for a dummy
	parent, first, last int
	prev, next          int
	dead                bool // removed from the tree
}

// A threader holds the tree that References builds.
type threader struct {
	msgs  []Message
	nodes []container
	ids   map[string]int // message ID to container (RFC 5256's id_table)
	rank  []int          // see dateRanks
}

// References threads msgs by the REFERENCES algorithm of RFC 5256 §3:
//
//  1. Messages are linked by the message IDs in their References field (or
//     the first in In-Reply-To when References has none), each referenced
//     ID the parent of the next and the last the parent of the message,
//     with a dummy for each ID of no message in the set. A link that
//     would close a loop is not made; a message keeps a parent it was
//     given by another message's references unless its own name another
//     one. A message without a Message-ID, and each message after the
//     first with the same one, is unique: nothing can refer to it. A
//     message's own ID among its references is skipped.
//  2. The messages without a parent are the root set.
//  3. (Dropping the ID table needs no code.)
//  4. Dummies with no children go; a dummy's children take its place,
//     except that at the top level they do so only when there is one.
//  5. Threads at the top level with the same base subject are gathered:
//     under a dummy of the subject when there is one, or under the thread
//     that is not a reply or forward ("Re:", "Fwd:", "(fwd)", "[fwd: ]")
//     when the other is one, or else both under a new dummy.
//  6. Siblings are put in sent date order (a dummy counts with its
//     earliest child's date), sequence order breaking ties, and so are the
//     threads.
//
// Message IDs are compared exactly, case-sensitively, once their angle
// brackets are removed (see msgid.go).
//
// Where RFC 5256 says "the first child" of a dummy (the subject of a dummy
// thread in step 5), it is taken to be the earliest child by sent date,
// which is the child step 6 puts first.
func References(msgs []Message) []Thread {
	t := &threader{msgs: msgs, ids: make(map[string]int, len(msgs))}
	t.nodes = make([]container, 0, len(msgs)+len(msgs)/2)
	for i := range msgs {
		t.linkMessage(i)
	}
	t.prune()
	t.rank = dateRanks(msgs)
	t.gatherSubjects()
	return t.threads()
}

func (t *threader) newNode(msg int) int {
	t.nodes = append(t.nodes, container{msg: msg, parent: none, first: none, last: none, prev: none, next: none})
	return len(t.nodes) - 1
}

// linkMessage is step 1 (A and B) for message i.
func (t *threader) linkMessage(i int) {
	c := t.messageNode(i)
	prev := none
	for _, id := range referenceIDs(&t.msgs[i]) {
		r := t.idNode(id)
		if r == c {
			// A message cannot answer itself. Taken literally,
			// its own ID among its references could make it the
			// parent of the messages it answers.
			continue
		}
		// 1.A: an existing parent stays; references only fill gaps.
		if prev != none && t.nodes[r].parent == none && !t.wouldLoop(prev, r) {
			t.adopt(prev, r)
		}
		prev = r
	}
	// 1.B: the message's own references decide its parent, over what
	// other messages' references suggested (or its lack of any).
	if t.nodes[c].parent != none {
		t.detach(c)
	}
	if prev != none && !t.wouldLoop(prev, c) {
		t.adopt(prev, c)
	}
}

// messageNode returns the container of message i: the dummy made for its
// ID when an earlier message referred to it, or a new one. A message with
// no ID, or with the ID of an earlier message, gets a container that is
// not in the ID table, which is what giving it a unique ID amounts to.
func (t *threader) messageNode(i int) int {
	id := ownID(t.msgs[i].MessageID)
	if id == "" {
		return t.newNode(i)
	}
	if n, ok := t.ids[id]; ok {
		if t.nodes[n].msg == none {
			t.nodes[n].msg = i
			return n
		}
		return t.newNode(i)
	}
	n := t.newNode(i)
	t.ids[id] = n
	return n
}

// idNode returns the container for a referenced ID, a new dummy if no
// message or reference has named it yet.
func (t *threader) idNode(id string) int {
	if n, ok := t.ids[id]; ok {
		return n
	}
	n := t.newNode(none)
	t.ids[id] = n
	return n
}

// wouldLoop reports whether making parent the parent of child would close
// a loop: whether child is parent or one of its ancestors. A child without
// children is nobody's ancestor, which spares the walk up for the common
// case of a new message.
func (t *threader) wouldLoop(parent, child int) bool {
	if parent == child {
		return true
	}
	if t.nodes[child].first == none {
		return false
	}
	for n := parent; n != none; n = t.nodes[n].parent {
		if n == child {
			return true
		}
	}
	return false
}

// adopt makes parentless child the last child of parent.
func (t *threader) adopt(parent, child int) {
	p, c := &t.nodes[parent], &t.nodes[child]
	c.parent, c.prev, c.next = parent, p.last, none
	if p.last != none {
		t.nodes[p.last].next = child
	} else {
		p.first = child
	}
	p.last = child
}

// detach takes n out of its parent's children.
func (t *threader) detach(n int) {
	c := &t.nodes[n]
	p := &t.nodes[c.parent]
	if c.prev != none {
		t.nodes[c.prev].next = c.next
	} else {
		p.first = c.next
	}
	if c.next != none {
		t.nodes[c.next].prev = c.prev
	} else {
		p.last = c.prev
	}
	c.parent, c.prev, c.next = none, none, none
}

// roots returns the root set (step 2): the live containers without parent.
func (t *threader) roots() []int {
	var roots []int
	for n := range t.nodes {
		if !t.nodes[n].dead && t.nodes[n].parent == none {
			roots = append(roots, n)
		}
	}
	return roots
}

// preorder lists every container of the tree, each before its children,
// using a stack of its own rather than recursion.
func (t *threader) preorder() []int {
	stack := t.roots()
	order := make([]int, 0, len(t.nodes))
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, n)
		for c := t.nodes[n].first; c != none; c = t.nodes[c].next {
			stack = append(stack, c)
		}
	}
	return order
}

// prune is step 4. Children are pruned before their parents, so that the
// children a dummy hands up are final, dummies among them already gone.
func (t *threader) prune() {
	order := t.preorder()
	for i := len(order) - 1; i >= 0; i-- {
		if n := order[i]; t.nodes[n].msg == none {
			t.pruneDummy(n)
		}
	}
}

// pruneDummy removes dummy n unless it is at the top level and holds two
// or more children together, which would otherwise become separate
// threads.
func (t *threader) pruneDummy(n int) {
	c := &t.nodes[n]
	switch {
	case c.first == none:
		if c.parent != none {
			t.detach(n)
		}
	case c.parent != none:
		t.splice(n)
	case c.first == c.last:
		t.detach(c.first)
	default:
		return
	}
	t.nodes[n].dead = true
}

// splice puts n's children in n's place among its siblings.
func (t *threader) splice(n int) {
	c := &t.nodes[n]
	p := &t.nodes[c.parent]
	for k := c.first; k != none; k = t.nodes[k].next {
		t.nodes[k].parent = c.parent
	}
	t.nodes[c.first].prev = c.prev
	if c.prev != none {
		t.nodes[c.prev].next = c.first
	} else {
		p.first = c.first
	}
	t.nodes[c.last].next = c.next
	if c.next != none {
		t.nodes[c.next].prev = c.last
	} else {
		p.last = c.last
	}
	c.parent, c.first, c.last, c.prev, c.next = none, none, none, none, none
}

// A subjectEntry is what step 5's subject_table holds for a subject.
type subjectEntry struct {
	node  int
	reply bool // the node is a message whose subject marks a reply or forward
}

// gatherSubjects is step 5: B fills the subject table with one thread per
// base subject, C merges the other threads of each subject into it.
func (t *threader) gatherSubjects() {
	roots := t.roots()
	entries := make([]subjectEntry, len(roots))
	subjects := make([]string, len(roots))
	table := make(map[string]subjectEntry)
	for i, r := range roots {
		subjects[i], entries[i] = t.threadSubject(r)
		if subjects[i] != "" {
			t.offer(table, subjects[i], entries[i])
		}
	}
	for i, r := range roots {
		// A root merged into another thread, or given to a new dummy,
		// is no longer one.
		if subjects[i] != "" && !t.nodes[r].dead && t.nodes[r].parent == none {
			t.merge(table, subjects[i], entries[i])
		}
	}
}

// threadSubject is step 5.B.i: the base subject of root's message or, for
// a dummy, of its first child.
func (t *threader) threadSubject(root int) (string, subjectEntry) {
	n := root
	for t.nodes[n].msg == none {
		n = t.earliestChild(n)
	}
	base, reply := extractBase(t.msgs[t.nodes[n].msg].Subject)
	return casemap(base), subjectEntry{node: root, reply: reply && n == root}
}

// earliestChild returns the child of n that is first in sent date order.
// Only dummies are asked, and after step 4 each has children.
func (t *threader) earliestChild(n int) int {
	best := t.nodes[n].first
	for c := best; c != none; c = t.nodes[c].next {
		if t.key(c) < t.key(best) {
			best = c
		}
	}
	return best
}

// key is n's place in sent date order: its message's, or a dummy's
// earliest child's (step 6).
func (t *threader) key(n int) int {
	for t.nodes[n].msg == none {
		n = t.earliestChild(n)
	}
	return t.rank[t.nodes[n].msg]
}

// offer is step 5.B.iv: e's thread goes into the table if the subject has
// none yet, or replaces the one there if that is a message and e's is a
// dummy, or a reply where e's is not.
func (t *threader) offer(table map[string]subjectEntry, subject string, e subjectEntry) {
	old, ok := table[subject]
	switch {
	case !ok:
	case t.isDummy(old.node):
		return
	case t.isDummy(e.node), old.reply && !e.reply:
	default:
		return
	}
	table[subject] = e
}

// merge is step 5.C for root e.node with the thread the table holds for
// subject.
func (t *threader) merge(table map[string]subjectEntry, subject string, e subjectEntry) {
	held := table[subject]
	switch {
	case held.node == e.node:
	case t.isDummy(held.node) && t.isDummy(e.node):
		for c := t.nodes[e.node].first; c != none; c = t.nodes[e.node].first {
			t.detach(c)
			t.adopt(held.node, c)
		}
		t.nodes[e.node].dead = true
	case t.isDummy(held.node), e.reply && !held.reply:
		t.adopt(held.node, e.node)
	default:
		d := t.newNode(none)
		t.adopt(d, held.node)
		t.adopt(d, e.node)
		table[subject] = subjectEntry{node: d}
	}
}

func (t *threader) isDummy(n int) bool { return t.nodes[n].msg == none }

// threads is step 6 and the conversion to Threads.
func (t *threader) threads() []Thread {
	roots := t.roots()
	t.sortByKey(roots)
	threads := make([]Thread, len(roots))
	for i, r := range roots {
		threads[i] = t.build(r)
	}
	return threads
}

// sortByKey puts containers in sent date order. Keys are computed once
// each, as a dummy's takes a walk over its children.
func (t *threader) sortByKey(ns []int) {
	type keyed struct{ node, key int }
	ks := make([]keyed, len(ns))
	for i, n := range ns {
		ks[i] = keyed{n, t.key(n)}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return a.key - b.key })
	for i := range ks {
		ns[i] = ks[i].node
	}
}

// build converts the tree under root into a Thread, with a stack of its
// own rather than recursion, as trees can be as deep as reply chains are
// long.
func (t *threader) build(root int) Thread {
	type job struct {
		node int
		dst  *Thread
	}
	var out Thread
	stack := []job{{root, &out}}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		kids := t.appendChain(j.node, j.dst)
		if len(kids) < 2 {
			continue
		}
		j.dst.SubThreads = make([]Thread, len(kids))
		for i, k := range kids {
			stack = append(stack, job{k, &j.dst.SubThreads[i]})
		}
	}
	return out
}

// appendChain appends n, then its only child, that one's only child and so
// on, to dst's chain, and returns the children, sorted, of the last: none,
// or those that branch off into subthreads. Dummies add nothing to the
// chain.
func (t *threader) appendChain(n int, dst *Thread) []int {
	for {
		c := &t.nodes[n]
		if c.msg != none {
			dst.Chain = append(dst.Chain, t.msgs[c.msg].Num)
		}
		if c.first == none || c.first != c.last {
			break
		}
		n = c.first
	}
	var kids []int
	for k := t.nodes[n].first; k != none; k = t.nodes[k].next {
		kids = append(kids, k)
	}
	t.sortByKey(kids)
	return kids
}

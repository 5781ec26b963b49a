package peer

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The server writes its replies from one goroutine, in the order of the
// commands, while the session goes on reading. A reply to BDAT can be
// pending: the envelope was read into memory and is being stored while the
// session reads the next transaction, so that a client that pipelines
// (RFC 2920) has several envelopes stored at once, and the store can commit
// them together. Replies are flushed whenever the writer would otherwise
// wait, so a client that waits for each reply sees it at once.
const (
	// maxQueued bounds the replies not yet written: a client that keeps
	// sending without reading makes the session stop reading after that
	// many.
	maxQueued = 64
	// storeAsideMax is the largest envelope stored beside the session;
	// larger ones stream from the stream into the store while the session
	// waits.
	storeAsideMax = 256 << 10
	// storeAsideBytes bounds the memory of the envelopes a session has in
	// flight beside it.
	storeAsideBytes = 4 << 20
)

// answer is one reply in the session's order. Its fields are final when
// ready is closed (nil: at once). A flush marker has no reply: it asks the
// writer to flush and close flushed once everything before it is written.
type answer struct {
	ready   chan struct{}
	r       reply
	flushed chan struct{}
}

// answers is the writer side of a server session.
type answers struct {
	conn    net.Conn
	dl      *deadlines
	timeout time.Duration // bound of one write, the command timeout
	queue   chan *answer
	done    chan struct{}

	mu     sync.Mutex
	failed error // the first write error; later answers are dropped

	lateRefusals atomic.Int32 // refusals among the pending answers
}

func newAnswers(conn net.Conn, dl *deadlines, timeout time.Duration) *answers {
	w := &answers{conn: conn, dl: dl, timeout: timeout, queue: make(chan *answer, maxQueued), done: make(chan struct{})}
	go w.run()
	return w
}

// run writes the queued answers until the queue is closed.
func (w *answers) run() {
	defer close(w.done)
	bw := bufio.NewWriter(w.conn)
	for a := range w.queue {
		if a.ready != nil {
			select {
			case <-a.ready:
			default:
				w.push(bw) // the client may be waiting for what is written so far
				<-a.ready
			}
		}
		if a.flushed != nil {
			w.push(bw)
			close(a.flushed)
			continue
		}
		w.write(bw, a)
		if len(w.queue) == 0 {
			w.push(bw)
		}
	}
	w.push(bw)
}

func (w *answers) write(bw *bufio.Writer, a *answer) {
	if w.err() != nil {
		return
	}
	err := w.dl.armWrite(w.timeout)
	if err == nil {
		err = writeReply(bw, a.r.Code, a.r.Enhanced, a.r.Lines...)
	}
	w.fail(err)
}

func (w *answers) push(bw *bufio.Writer) {
	if w.err() != nil || bw.Buffered() == 0 {
		return
	}
	err := w.dl.armWrite(w.timeout)
	if err == nil {
		err = bw.Flush()
	}
	w.fail(err)
}

func (w *answers) fail(err error) {
	if err == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed == nil {
		w.failed = w.dl.ioErr(err)
	}
}

// err returns the first write error.
func (w *answers) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// add queues a reply that is final now.
func (w *answers) add(r reply) error {
	w.queue <- &answer{r: r}
	return w.err()
}

// later queues a reply whose fields settle fills in.
func (w *answers) later() *answer {
	a := &answer{ready: make(chan struct{})}
	w.queue <- a
	return a
}

// settle completes a pending reply.
func (w *answers) settle(a *answer, r reply) {
	a.r = r
	if r.Code >= 400 {
		w.lateRefusals.Add(1)
	}
	close(a.ready)
}

// flush waits until every reply queued so far is written and flushed.
func (w *answers) flush() error {
	a := &answer{flushed: make(chan struct{})}
	w.queue <- a
	<-a.flushed
	return w.err()
}

// close writes what is queued, waiting for pending replies, and stops the
// writer.
func (w *answers) close() {
	close(w.queue)
	<-w.done
}

package peer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/yggpost/yggpost/envelope"
)

// Pipeline sends envelopes on one session without waiting for each
// reply (PIPELINING, RFC 2920): the transactions are written one after
// another, up to a window of them unanswered, and a goroutine of the
// pipeline reads the replies in order and reports each envelope's outcome.
// Over a mesh stream this saves a round trip per envelope, and the server
// stores the envelopes of a window together.
//
// Send and Deposit may be called from several goroutines; transactions go
// out in the order the calls get the pipeline. The ClientConn must not be
// used for anything else until Wait has returned.
type Pipeline struct {
	sc    *ClientConn
	stop  func()
	slots chan struct{} // one per transaction in flight

	mu     sync.Mutex // held while a transaction is written
	closed bool
	sent   chan *pipedTx // in the order written; read by the reader
	done   chan struct{} // closed when the reader has answered everything

	failMu sync.Mutex
	failed error // the session is lost: nothing more is sent
}

// pipedTx is one transaction in flight.
type pipedTx struct {
	deposit  bool
	writeErr error // why writing it failed, if it did
	finish   func(r *reply, err error)
}

// Pipelining reports whether the peer accepts pipelined YGGPOST
// transactions. Without it a Pipeline still works, with a window of one.
func (sc *ClientConn) Pipelining() bool {
	_, ok := sc.Extension("PIPELINING")
	return ok && sc.Yggpost()
}

// Pipeline starts pipelining on sc with at most window transactions
// unanswered (one when the peer does not offer PIPELINING). ctx bounds
// the whole pipeline; cancelling it fails every transaction in flight.
func (sc *ClientConn) Pipeline(ctx context.Context, window int) *Pipeline {
	if window < 1 || !sc.Pipelining() {
		window = 1
	}
	p := &Pipeline{
		sc:    sc,
		stop:  sc.dl.bind(ctx),
		slots: make(chan struct{}, window),
		sent:  make(chan *pipedTx, window),
		done:  make(chan struct{}),
	}
	go p.readReplies()
	return p
}

// Send queues one envelope of exactly size octets read from sealed for
// recipient, and returns once it is written (the caller may then close
// sealed). done is called exactly once, from the pipeline's goroutine, with
// the outcome as for ClientConn.Send: nil once the peer acknowledged
// durable storage, an *Error for a refusal, any other error when the
// outcome is unknown. If Send returns an error, nothing was queued and done
// is not called.
func (p *Pipeline) Send(recipient envelope.Address, size int64, sealed io.Reader, done func(error)) error {
	return p.transact(recipient, size, sealed, &pipedTx{finish: func(_ *reply, err error) { done(err) }})
}

// Deposit queues one deposit at a relay, like Send; done gets the custody
// receipt of a 250 reply (see ClientConn.Deposit).
func (p *Pipeline) Deposit(rcpt envelope.Address, size int64, sealed io.Reader, done func(receipt []byte, err error)) error {
	if !p.sc.Relay() {
		return fmt.Errorf("deposit: %w", ErrNotRelay)
	}
	return p.transact(rcpt, size, sealed, &pipedTx{deposit: true, finish: func(r *reply, err error) {
		if err != nil {
			done(nil, fmt.Errorf("deposit: %w", err))
			return
		}
		receipt, err := parseCustody(r.Lines[0])
		if err != nil {
			err = fmt.Errorf("deposit: %w", err)
		}
		done(receipt, err)
	}})
}

func (p *Pipeline) transact(recipient envelope.Address, size int64, sealed io.Reader, tx *pipedTx) error {
	sc := p.sc
	if err := sc.checkEnvelope(size); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("send envelope: pipeline closed")
	}
	p.slots <- struct{}{} // the reader frees one for each transaction it answers
	if err := p.err(); err != nil {
		<-p.slots
		return fmt.Errorf("send envelope: %w", err)
	}
	p.sent <- tx // the reader now expects its three replies
	lines := fmt.Sprintf("MAIL FROM:<%s> SIZE=%d\r\nRCPT TO:<%s>\r\nBDAT %d LAST\r\n", sc.local, size, recipient, size)
	if err := sc.writeWith(sc.dl.armWrite, sc.t.Command, lines); err != nil {
		p.fail(tx, err)
		return nil
	}
	w := &timedWriter{sc: sc, arm: sc.dl.armWrite}
	if n, err := io.CopyN(w, sealed, size); err != nil {
		if w.err == nil {
			err = fmt.Errorf("send envelope: read sealed envelope after %d of %d octets: %w", n, size, err)
		} else {
			err = fmt.Errorf("send envelope: write chunk after %d of %d octets: %w", n, size, w.err)
		}
		p.fail(tx, err) // the peer expects size octets; the stream cannot recover
	}
	return nil
}

// fail records why the session is lost and closes the stream, which ends
// the reader's wait; tx, if any, is answered with err.
func (p *Pipeline) fail(tx *pipedTx, err error) {
	p.failMu.Lock()
	if tx != nil && tx.writeErr == nil {
		tx.writeErr = err
	}
	if p.failed == nil {
		p.failed = err
	}
	p.failMu.Unlock()
	p.sc.conn.Close()
}

func (p *Pipeline) err() error {
	p.failMu.Lock()
	defer p.failMu.Unlock()
	return p.failed
}

// readReplies answers the transactions in the order they were written.
func (p *Pipeline) readReplies() {
	defer close(p.done)
	for tx := range p.sent {
		r, err := p.readTx()
		p.failMu.Lock()
		if tx.writeErr != nil {
			r, err = nil, tx.writeErr
		}
		p.failMu.Unlock()
		<-p.slots
		tx.finish(r, err)
	}
}

// readTx reads the replies to MAIL, RCPT and BDAT. A refusal of MAIL or
// RCPT is the transaction's outcome (the server then refuses the chunk
// too); a failure to read loses the session.
func (p *Pipeline) readTx() (*reply, error) {
	if err := p.err(); err != nil {
		return nil, err
	}
	var refused error
	for _, step := range []string{"MAIL", "RCPT", "BDAT"} {
		r, err := p.sc.readWith(p.sc.dl.armRead, p.sc.t.Command)
		if err != nil {
			err = fmt.Errorf("send envelope: %s: %w", step, err)
			p.fail(nil, err)
			return nil, err
		}
		switch {
		case refused != nil:
		case r.Code != 250:
			refused = fmt.Errorf("send envelope: %s: %w", step, r.err())
		case step == "BDAT":
			return r, nil
		}
	}
	return nil, refused
}

// Wait ends the pipeline: it waits for the replies to everything queued
// and reports whether the session survived; after nil the ClientConn can
// be used again (Quit).
func (p *Pipeline) Wait() error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.sent)
	}
	p.mu.Unlock()
	<-p.done
	p.stop()
	return p.err()
}

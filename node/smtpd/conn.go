package smtpd

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// limitListener hands go-smtp at most MaxConnections connections at a
// time (counted over all listeners), each wrapped in a timeoutConn, and
// for ServeTLS in a TLS server connection over that (tls.go). A
// connection above the limit gets "421 4.7.0" and is closed; accepting
// goes on.
type limitListener struct {
	net.Listener
	s           *Server
	implicitTLS bool // ServeTLS: TLS from the first byte
}

func newLimitListener(l net.Listener, s *Server, implicitTLS bool) *limitListener {
	return &limitListener{Listener: l, s: s, implicitTLS: implicitTLS}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := &timeoutConn{Conn: c, s: l.s, tlsBegun: l.implicitTLS}
		err = l.s.conns.add(tc, l.s.opts.MaxConnections)
		if err == nil && l.implicitTLS {
			// go-smtp runs the handshake on its connection goroutine,
			// so a slow client does not hold up Accept.
			return tls.Server(tc, l.s.tls), nil
		}
		if err == nil {
			return tc, nil
		}
		l.s.log.Warn("refusing smtp connection", "remote", c.RemoteAddr().String(), "err", err)
		l.refuse(c, err)
	}
}

// refuse answers a connection that will not be served and closes it,
// without holding up Accept on a client that does not read. On a TLS
// listener it closes without a word: a reply would need a handshake
// first, which is the work the limit is there to spare.
func (l *limitListener) refuse(c net.Conn, reason error) {
	if !l.implicitTLS {
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := fmt.Fprintf(c, "421 4.7.0 %s, try again later\r\n", reason); err != nil {
			l.s.log.Debug("write refusal", "remote", c.RemoteAddr().String(), "err", err)
		}
	}
	if err := c.Close(); err != nil {
		l.s.log.Debug("close refused connection", "remote", c.RemoteAddr().String(), "err", err)
	}
}

// timeoutConn applies the read and write timeouts to every single Read
// and Write, and ends reading between transactions once the server shuts
// down. busy is set while a message is being received and submitted.
// When the connection runs TLS, timeoutConn is under it and sees the
// TLS records, so the timeouts apply to the handshake too.
type timeoutConn struct {
	net.Conn
	s *Server

	mu        sync.Mutex
	busy      bool
	tlsBegun  bool      // a TLS handshake began: a raw write would break the stream
	secure    *tls.Conn // the TLS connection over this one, once its handshake is done
	closeOnce sync.Once
	byeOnce   sync.Once
	closeErr  error
}

var errShuttingDown = errors.New("smtp server is shutting down")

func (c *timeoutConn) Read(p []byte) (int, error) {
	if c.endForShutdown() {
		return 0, net.ErrClosed
	}
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.s.opts.ReadTimeout)); err != nil {
		return 0, fmt.Errorf("set read deadline: %w", err)
	}
	n, err := c.Conn.Read(p)
	if err != nil && c.endForShutdown() {
		return n, net.ErrClosed // interrupted by interruptIfIdle
	}
	return n, err
}

// endForShutdown reports whether the server is shutting down and this
// connection is between transactions. It then tells the client once
// (RFC 5321 §3.8); go-smtp takes net.ErrClosed as a quiet end. Reads
// and writes both happen on go-smtp's command goroutine here, so this
// write does not interleave with a reply.
func (c *timeoutConn) endForShutdown() bool {
	c.mu.Lock()
	busy := c.busy
	c.mu.Unlock()
	if busy || !c.s.conns.isShuttingDown() {
		return false
	}
	c.byeOnce.Do(c.sayShuttingDown)
	return true
}

// sayShuttingDown writes the shutdown notice where the client reads it:
// on this connection before TLS, through TLS once the session inside it
// has started (newSession calls tlsDone). A TLS Write from inside the TLS
// Read that called endForShutdown is safe then, as Read holds only the
// TLS input lock. From the start of a handshake to the first EHLO inside
// TLS neither is safe, and the connection just ends.
func (c *timeoutConn) sayShuttingDown() {
	c.mu.Lock()
	secure, begun := c.secure, c.tlsBegun
	c.mu.Unlock()
	var w io.Writer = c
	switch {
	case secure != nil:
		w = secure
	case begun:
		return
	}
	if _, err := io.WriteString(w, "421 4.3.2 Service shutting down, try again later\r\n"); err != nil {
		c.s.log.Debug("write shutdown notice", "err", err)
	}
}

// beginTLS records that a TLS handshake began on this connection.
func (c *timeoutConn) beginTLS() {
	c.mu.Lock()
	c.tlsBegun = true
	c.mu.Unlock()
}

// tlsDone records secure, whose handshake is done, as the TLS connection
// over this one.
func (c *timeoutConn) tlsDone(secure *tls.Conn) {
	c.mu.Lock()
	c.tlsBegun, c.secure = true, secure
	c.mu.Unlock()
}

func (c *timeoutConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout)); err != nil {
		return 0, fmt.Errorf("set write deadline: %w", err)
	}
	return c.Conn.Write(p)
}

// Close closes the connection once and frees its slot.
func (c *timeoutConn) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.Conn.Close()
		c.s.conns.remove(c)
	})
	return c.closeErr
}

// setBusy marks a message transfer in progress (or over).
func (c *timeoutConn) setBusy(b bool) {
	c.mu.Lock()
	c.busy = b
	c.mu.Unlock()
}

// interruptIfIdle wakes a Read blocked waiting for the next command, so
// that it sees the shutdown. A connection in a transfer is left alone.
func (c *timeoutConn) interruptIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.busy {
		_ = c.Conn.SetReadDeadline(time.Now())
	}
}

// connSet is the set of open client connections.
type connSet struct {
	mu       sync.Mutex
	conns    map[*timeoutConn]struct{}
	shutting bool
}

func newConnSet() *connSet {
	return &connSet{conns: make(map[*timeoutConn]struct{})}
}

func (cs *connSet) add(c *timeoutConn, max int) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.shutting {
		return errShuttingDown
	}
	if len(cs.conns) >= max {
		return fmt.Errorf("too many connections (limit %d)", max)
	}
	cs.conns[c] = struct{}{}
	return nil
}

func (cs *connSet) remove(c *timeoutConn) {
	cs.mu.Lock()
	delete(cs.conns, c)
	cs.mu.Unlock()
}

func (cs *connSet) isShuttingDown() bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.shutting
}

// shutdown stops new connections and ends idle ones; with force it closes
// all of them.
func (cs *connSet) shutdown(force bool) {
	cs.mu.Lock()
	cs.shutting = true
	conns := make([]*timeoutConn, 0, len(cs.conns))
	for c := range cs.conns {
		conns = append(conns, c)
	}
	cs.mu.Unlock()
	for _, c := range conns {
		if force {
			_ = c.Close() // the error is of no use to anyone at this point
		} else {
			c.interruptIfIdle()
		}
	}
}

package imapd

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
)

// maxExtLine bounds one line of a command that extConn answers itself (ID);
// longer lines are passed to imapserver untouched.
const maxExtLine = 8 << 10

// extListener wraps every accepted connection in an extConn. With
// implicit set, the connection runs TLS from its first byte.
type extListener struct {
	net.Listener
	log      *slog.Logger
	sec      connSecurity
	implicit bool
}

func (l extListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	x := newExtConn(c, l.log)
	x.sec = l.sec
	if l.implicit {
		x.switchTo(tls.Server(c, l.sec.tls))
	}
	return x, nil
}

// extConn sits between a client and imapserver. It answers ID (RFC 2971),
// which imapserver does not know (before login it would even end the
// connection), refuses or rewrites command lines whose mailbox names
// imapserver cannot decode (screenMailboxArgs), and passes every other
// byte through unchanged; on the way out it adds ID to the capability
// lists imapserver writes.
//
// Commands are found by following the client's stream the way the server
// parses it: lines, and literals announced at a line's end. A
// non-synchronizing literal ({n+}) always follows; a synchronizing one
// ({n}) follows only if the server answered with a continuation request,
// which extConn sees on the way out. Since imapserver asks for more input
// only once it has answered everything before, an ID answered at that
// moment keeps the order of pipelined responses.
//
// extConn also runs TLS (starttls.go): STARTTLS is answered here, not by
// imapserver, so that the commands extConn follows are read from inside
// TLS. It decides what the capability lists say about TLS and passwords.
type extConn struct {
	net.Conn // the accepted connection: addresses, deadlines
	log      *slog.Logger
	src      *bufio.Reader
	out      []byte // client bytes ready for imapserver

	sec    connSecurity
	secure atomic.Bool // TLS runs (implicit, or after STARTTLS)
	authed atomic.Bool // the session logged in: no STARTTLS any more
	under  net.Conn    // what carries the bytes: the accepted conn or TLS over it; under wmu

	inCommand   bool   // the next line continues a command (after a literal)
	inTail      []byte // end of a long line read in parts, for literalAtEnd
	literal     int64  // literal bytes still to pass through
	pendingSync int64  // size of a synchronizing literal awaiting "+"

	wmu      sync.Mutex
	contSent bool // a continuation request was written since pendingSync was set
	w        outTracker
}

func newExtConn(c net.Conn, log *slog.Logger) *extConn {
	return &extConn{Conn: c, under: c, log: log, src: bufio.NewReaderSize(c, maxExtLine), w: outTracker{atLineStart: true}}
}

// Read hands imapserver the client's bytes, minus the commands extConn
// answers itself.
func (c *extConn) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.literal > 0 && len(p) > 0 {
			return c.readLiteral(p)
		}
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// fill moves the next piece of the client's stream to c.out, answering it
// instead if it is an ID command.
func (c *extConn) fill() error {
	if c.pendingSync > 0 {
		c.wmu.Lock()
		accepted := c.contSent
		c.wmu.Unlock()
		c.inCommand = accepted
		if accepted {
			c.literal = c.pendingSync
		}
		c.pendingSync = 0
		return nil
	}
	line, complete, err := c.readLine()
	if err != nil {
		return err
	}
	if complete && !c.inCommand && isIDCommand(line) {
		return c.answerID(line)
	}
	if complete && !c.inCommand && c.sec.tls != nil && isStartTLSCommand(line) {
		return c.startTLS(line)
	}
	if complete && !c.inCommand {
		var reply []byte
		if line, reply = screenMailboxArgs(line); reply != nil {
			return c.writeResponse(reply)
		}
	}
	c.out = append(c.out[:0], line...)
	if !complete {
		c.inTail = lastBytes(append(c.inTail, line...), 32)
		return nil
	}
	c.afterLine(append(c.inTail, line...))
	c.inTail = nil
	return nil
}

func lastBytes(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return append([]byte(nil), b[len(b)-n:]...)
}

// readLine returns the next line, or a first part of one longer than
// maxExtLine (complete is then false and the rest passes through later).
func (c *extConn) readLine() (line []byte, complete bool, err error) {
	line, err = c.src.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		c.inCommand = true // the rest of this line is no command start
		return bytes.Clone(line), false, nil
	}
	if err != nil {
		if len(line) > 0 {
			return bytes.Clone(line), false, nil
		}
		return nil, false, err
	}
	return bytes.Clone(line), true, nil
}

// afterLine notes a literal announced at the end of a passed-through line.
func (c *extConn) afterLine(line []byte) {
	n, sync, ok := literalAtEnd(line)
	switch {
	case !ok:
		c.inCommand = false
	case sync:
		c.wmu.Lock()
		c.contSent = false
		c.wmu.Unlock()
		c.pendingSync = n
	default:
		c.literal = n
		c.inCommand = true
	}
}

// readLiteral passes literal bytes straight into imapserver's buffer.
func (c *extConn) readLiteral(p []byte) (int, error) {
	n, err := c.src.Read(p[:min(int64(len(p)), c.literal)])
	c.literal -= int64(n)
	if n > 0 {
		return n, nil
	}
	return 0, err
}

// literalAtEnd parses "{n}\r\n" or "{n+}\r\n" (or with a bare LF) at the
// end of a line.
func literalAtEnd(line []byte) (n int64, sync bool, ok bool) {
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	if !bytes.HasSuffix(line, []byte("}")) {
		return 0, false, false
	}
	open := bytes.LastIndexByte(line, '{')
	if open < 0 {
		return 0, false, false
	}
	num := line[open+1 : len(line)-1]
	sync = !bytes.HasSuffix(num, []byte("+"))
	num = bytes.TrimSuffix(num, []byte("+"))
	v, err := strconv.ParseUint(string(num), 10, 63)
	if err != nil || len(num) == 0 || num[0] == '+' {
		return 0, false, false
	}
	return int64(v), sync, true
}

// Write passes imapserver's output to the client. It notes continuation
// requests and rewrites capability lists (withCapabilities). imapserver
// flushes after every line, so a capability line arrives at the start of
// one Write.
func (c *extConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	out := p
	if c.w.atLineStart {
		if bytes.HasPrefix(p, []byte("+")) {
			c.contSent = true
		}
		out = c.withCapabilities(p)
	}
	c.w.scan(p)
	if _, err := c.under.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close closes the connection, ending TLS properly when it runs.
func (c *extConn) Close() error {
	c.wmu.Lock()
	under := c.under
	c.wmu.Unlock()
	return under.Close()
}

// writeResponse writes lines extConn composed itself, always whole lines
// between imapserver's.
func (c *extConn) writeResponse(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.under.Write(b); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}

// outTracker follows the server's output: where lines start, and the
// literals (message bodies) that must never be looked into.
type outTracker struct {
	atLineStart bool
	literal     int64
	tail        []byte // end of the current, unfinished line
}

func (t *outTracker) scan(p []byte) {
	for len(p) > 0 {
		if t.literal > 0 {
			k := min(t.literal, int64(len(p)))
			p, t.literal = p[k:], t.literal-k
			continue
		}
		j := bytes.IndexByte(p, '\n')
		if j < 0 {
			t.tail, t.atLineStart = lastBytes(append(t.tail, p...), 32), false
			return
		}
		n, _, ok := literalAtEnd(append(t.tail, p[:j+1]...))
		t.tail, p = nil, p[j+1:]
		t.literal, t.atLineStart = n, !ok
	}
}

// capabilityLine matches the start of the lines that carry the capability
// list: "* CAPABILITY", "* OK [CAPABILITY" and "tag OK [CAPABILITY".
var capabilityLine = regexp.MustCompile(`^(\* |[!#-'*,-Z^-z|~]+ OK \[)CAPABILITY IMAP4rev1`)

// withCapabilities rewrites a capability line: it inserts " ID" after
// IMAP4rev1, and before login it says what the connection offers: STARTTLS
// while TLS does not run yet, and LOGINDISABLED instead of the AUTH=
// mechanisms where a password may not be sent yet (clientsec).
func (c *extConn) withCapabilities(p []byte) []byte {
	loc := capabilityLine.FindIndex(p)
	if loc == nil || bytes.Count(p, []byte("\n")) != 1 || !bytes.HasSuffix(p, []byte("\n")) {
		return p
	}
	out := make([]byte, 0, len(p)+32)
	out = append(out, p[:loc[1]]...)
	out = append(out, " ID"...)
	rest := p[loc[1]:]
	if c.authed.Load() {
		return append(out, rest...)
	}
	if c.sec.tls != nil && !c.secure.Load() {
		out = append(out, " STARTTLS"...)
	}
	if !c.passwordAllowed() {
		out = append(out, " LOGINDISABLED"...)
		rest = authMechanisms.ReplaceAll(rest, nil)
	}
	return append(out, rest...)
}

// authMechanisms matches the AUTH= entries of a capability list.
var authMechanisms = regexp.MustCompile(`(?i) AUTH=[^ \]\r\n]+`)

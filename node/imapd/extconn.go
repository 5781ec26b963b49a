package imapd

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
)

// srcBuffer is the size of the buffer the client's stream is read through;
// longer lines are read in parts.
const srcBuffer = 8 << 10

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

// extConn sits between a client and imapserver. It reads the client's
// commands whole before imapserver sees them (framing.go), so that it can
// answer itself what imapserver cannot: ID (RFC 2971, idcmd.go), which
// imapserver does not know; STARTTLS (starttls.go), so that what follows is
// read from inside TLS; and every command that exceeds what imapserver
// handles (literal sizes, command length, nesting), which it refuses with a
// tagged BAD instead of imapserver's internal error or silence; and
// commands with mailbox names imapserver cannot decode, on their lines or
// in literals (screenMailboxArgs), which it refuses or rewrites; and sequence sets,
// search keys and dates that imapserver would answer with an internal
// error (cmdargs.go), which it refuses with a BAD. On the way out it adds
// ID to the capability lists imapserver writes and says what the
// connection offers for TLS and passwords.
//
// Reading side: only imapserver's connection goroutine calls Read, and
// imapserver asks for a new command only once it has answered everything
// before, so responses extConn writes itself while reading keep the order
// of pipelined commands. Each Read hands over at most one line or one
// literal of a command, so imapserver never holds bytes beyond the line it
// is parsing; if it ends a command early (a tagged response while parts of
// the command are still to come), extConn discards those parts instead of
// letting imapserver parse them as commands.
type extConn struct {
	net.Conn // the accepted connection: addresses, deadlines
	log      *slog.Logger
	src      *bufio.Reader

	sec    connSecurity
	secure atomic.Bool // TLS runs (implicit, or after STARTTLS)
	authed atomic.Bool // the session logged in: no STARTTLS any more
	closed atomic.Bool // Close was called: this side ended the connection
	under  net.Conn    // what carries the bytes: the accepted conn or TLS over it; under wmu

	segs     [][]byte // parts of the current command not yet handed to imapserver
	tag      string   // the current command's tag
	literal  int64    // bytes of APPEND's message still to pass through
	waitCont bool     // APPEND's message literal is synchronizing: it follows only if imapserver sent "+"
	trailer  bool     // the line that ends APPEND after its message is still to come
	owed     string   // response extConn gives if imapserver ends the command without one

	wmu      sync.Mutex
	contSent bool // imapserver wrote a continuation request since it was last looked at
	answered bool // imapserver wrote a tagged response for the current command
	w        outTracker
}

func newExtConn(c net.Conn, log *slog.Logger) *extConn {
	return &extConn{Conn: c, under: c, log: log, src: bufio.NewReaderSize(c, srcBuffer), w: outTracker{atLineStart: true}}
}

// Read hands imapserver the client's commands, one line or literal at a
// time. Once this side has closed the connection (a BYE, Close), reading
// ends with io.EOF: imapserver takes that as the end of the connection,
// also in IDLE, where any other error is logged as a failure.
func (c *extConn) Read(p []byte) (int, error) {
	n, err := c.read(p)
	if err != nil && c.closed.Load() {
		err = io.EOF
	}
	return n, err
}

func (c *extConn) read(p []byte) (int, error) {
	for len(c.segs) == 0 {
		if c.literal > 0 && !c.waitCont && !c.isAnswered() {
			return c.readLiteral(p)
		}
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.segs[0])
	if c.segs[0] = c.segs[0][n:]; len(c.segs[0]) == 0 {
		c.segs = c.segs[1:]
	}
	return n, nil
}

// readLiteral passes APPEND's message straight into imapserver's buffer.
func (c *extConn) readLiteral(p []byte) (int, error) {
	n, err := c.src.Read(p[:min(int64(len(p)), c.literal)])
	c.literal -= int64(n)
	if n > 0 {
		return n, nil
	}
	return 0, err
}

// takeCont reports whether imapserver wrote a continuation request since
// the last call.
func (c *extConn) takeCont() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	sent := c.contSent
	c.contSent = false
	return sent
}

// isAnswered reports whether imapserver wrote a tagged response for the
// current command.
func (c *extConn) isAnswered() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.answered
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

func lastBytes(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return append([]byte(nil), b[len(b)-n:]...)
}

// Write passes imapserver's output to the client. It notes continuation
// requests and tagged responses, and rewrites capability lists
// (withCapabilities). imapserver flushes after every line, so a capability
// line arrives at the start of one Write.
func (c *extConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	out := p
	if c.w.atLineStart {
		out = c.withCapabilities(p)
	}
	c.w.scan(p, c.noteLine)
	if _, err := c.under.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// noteLine notes what a line imapserver starts says about the current
// command: "+" asks for more of it, a tag ends it. Called under wmu.
func (c *extConn) noteLine(first byte) {
	switch first {
	case '+':
		c.contSent = true
	case '*':
	default:
		c.answered = true
	}
}

// Close closes the connection, ending TLS properly when it runs.
func (c *extConn) Close() error {
	c.closed.Store(true)
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

// scan follows p and calls lineStart with the first byte of every line
// that starts in it.
func (t *outTracker) scan(p []byte, lineStart func(first byte)) {
	for len(p) > 0 {
		if t.literal > 0 {
			k := min(t.literal, int64(len(p)))
			p, t.literal = p[k:], t.literal-k
			continue
		}
		if t.atLineStart {
			lineStart(p[0])
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
// IMAP4rev1, and drops LITERAL- where LITERAL+ is listed (after login:
// RFC 7888 5 forbids advertising both; see framing.go for what each
// means here). Before login it says what the connection offers: STARTTLS
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
	if bytes.Contains(rest, []byte(" LITERAL+")) {
		rest = literalMinus.ReplaceAll(rest, []byte("$1"))
	}
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

// literalMinus matches LITERAL- in a capability list.
var literalMinus = regexp.MustCompile(`(?i) LITERAL-([ \]\r\n])`)

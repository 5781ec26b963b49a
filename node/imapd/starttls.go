package imapd

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/yggpost/yggpost/internal/clientsec"
)

// tlsHandshakeTimeout bounds the TLS handshake after STARTTLS.
const tlsHandshakeTimeout = 30 * time.Second

// connSecurity is what a listener offers its connections: TLS (nil for
// none: no STARTTLS, no implicit TLS) and the policy on passwords sent
// without it.
type connSecurity struct {
	tls    *tls.Config
	policy clientsec.Policy
}

// passwordAllowed reports whether the client may log in now.
func (c *extConn) passwordAllowed() bool {
	return c.sec.policy.PasswordAllowed(c.RemoteAddr(), c.secure.Load())
}

// isStartTLSCommand reports whether line is "tag STARTTLS" and nothing
// else (RFC 3501 6.2.1).
func isStartTLSCommand(line []byte) bool {
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	sp := bytes.IndexByte(line, ' ')
	return sp > 0 && validTag(line[:sp]) && bytes.EqualFold(line[sp+1:], []byte("STARTTLS"))
}

// startTLS answers STARTTLS and runs the TLS handshake (RFC 3501 6.2.1,
// RFC 2595 3.1). Anything the client sent after the command, before TLS,
// is discarded: it came over the plain connection, where anyone on the
// way could have added it. After login, or once TLS runs, STARTTLS is a
// BAD command.
func (c *extConn) startTLS(line []byte) error {
	tag := string(line[:bytes.IndexByte(line, ' ')])
	if c.secure.Load() || c.authed.Load() {
		return c.writeResponse(fmt.Appendf(nil, "%s BAD STARTTLS is only available before login on a connection without TLS\r\n", tag))
	}
	if n := c.src.Buffered(); n > 0 {
		c.log.Warn("imap client sent commands after STARTTLS before TLS; discarded", "bytes", n)
		if _, err := c.src.Discard(n); err != nil {
			return err
		}
	}
	if err := c.writeResponse(fmt.Appendf(nil, "%s OK Begin TLS negotiation now\r\n", tag)); err != nil {
		return err
	}
	tc := tls.Server(c.Conn, c.sec.tls)
	if err := c.Conn.SetDeadline(time.Now().Add(tlsHandshakeTimeout)); err != nil {
		return err
	}
	if err := tc.Handshake(); err != nil {
		c.log.Info("imap STARTTLS handshake failed", "err", err)
		return fmt.Errorf("tls handshake: %w", err)
	}
	if err := c.Conn.SetDeadline(time.Time{}); err != nil {
		return err
	}
	c.switchTo(tc)
	c.log.Debug("imap STARTTLS done", "version", tls.VersionName(tc.ConnectionState().Version))
	return nil
}

// switchTo makes tc carry the connection from now on: the client's next
// bytes are read from it, and the server's written to it.
func (c *extConn) switchTo(tc *tls.Conn) {
	c.wmu.Lock()
	c.under = tc
	c.w = outTracker{atLineStart: true}
	c.wmu.Unlock()
	c.src = bufio.NewReaderSize(tc, srcBuffer)
	c.segs, c.literal, c.waitCont, c.trailer, c.owed = nil, 0, false, false, ""
	c.secure.Store(true)
}

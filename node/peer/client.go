package peer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/yggpost/yggpost/envelope"
)

// Client holds the settings for delivering envelopes to peers.
type Client struct {
	// Local is this node's address, sent as MAIL FROM. The peer accepts it
	// only if it equals the key the transport authenticated.
	Local envelope.Address
	// Timeouts bound every wait; zero fields take defaults.
	Timeouts Timeouts
}

// Deliver sends one sealed envelope of size octets to recipient over conn
// with default timeouts; see Client.Deliver.
func Deliver(ctx context.Context, conn net.Conn, local, recipient envelope.Address, size int64, sealed io.Reader) error {
	c := &Client{Local: local}
	return c.Deliver(ctx, conn, recipient, size, sealed)
}

// Deliver opens a session on conn (space byte, greeting, EHLO), sends one
// envelope with MAIL, RCPT and BDAT LAST, says QUIT, and closes conn.
//
// nil means the peer acknowledged the envelope as durably stored (or
// already stored). An *Error is the peer's refusal (Temporary for 4xx).
// ErrNoExtension means the peer does not speak YGGPOST 1. Any other error
// is a transport failure: the outcome is unknown and the caller retries.
func (c *Client) Deliver(ctx context.Context, conn net.Conn, recipient envelope.Address, size int64, sealed io.Reader) error {
	defer conn.Close()
	sc, err := c.Open(ctx, conn)
	if err != nil {
		return err
	}
	if err := sc.Send(ctx, recipient, size, sealed); err != nil {
		if errors.Is(err, ErrNoExtension) || isReply(err) {
			_ = sc.Quit(ctx) // polite close; the result is already known
		}
		return err
	}
	_ = sc.Quit(ctx) // the envelope is acknowledged; QUIT cannot change that
	return nil
}

// Open starts a client session on conn: it writes the opening space byte,
// waits for the 220 greeting and introduces itself with EHLO (falling back
// to HELO if EHLO is refused). The caller keeps ownership of conn: on
// error it closes conn; on success ClientConn.Quit or Close does.
func (c *Client) Open(ctx context.Context, conn net.Conn) (*ClientConn, error) {
	sc := &ClientConn{
		conn:  conn,
		br:    bufio.NewReader(conn),
		dl:    &deadlines{conn: conn, ctx: ctx},
		t:     c.Timeouts.withDefaults(),
		local: c.Local,
	}
	stop := sc.dl.bind(ctx)
	defer stop()
	if err := sc.greet(); err != nil {
		return nil, err
	}
	if err := sc.hello(); err != nil {
		return nil, err
	}
	return sc, nil
}

func isReply(err error) bool {
	_, ok := errors.AsType[*Error](err)
	return ok
}

// ClientConn is one open client session. Its methods must not be called
// concurrently.
type ClientConn struct {
	conn   net.Conn
	br     *bufio.Reader
	dl     *deadlines
	t      Timeouts
	local  envelope.Address
	remote envelope.Address  // the address the server named in its EHLO reply
	exts   map[string]string // EHLO keyword (upper case) -> parameters
}

// Extension reports whether the peer advertised keyword in its EHLO reply,
// and its parameters.
func (sc *ClientConn) Extension(keyword string) (params string, ok bool) {
	params, ok = sc.exts[strings.ToUpper(keyword)]
	return params, ok
}

// Yggpost reports whether the peer speaks YGGPOST version 1.
func (sc *ClientConn) Yggpost() bool {
	params, ok := sc.Extension("YGGPOST")
	return ok && hasVersion(params, "1") && sc.hasChunking()
}

func (sc *ClientConn) hasChunking() bool {
	_, ok := sc.Extension("CHUNKING")
	return ok
}

func hasVersion(params, v string) bool {
	for _, f := range strings.Fields(params) {
		if f == v {
			return true
		}
	}
	return false
}

// peerMaxSize returns the peer's advertised SIZE limit, if any.
func (sc *ClientConn) peerMaxSize() (int64, bool) {
	params, ok := sc.Extension("SIZE")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(params), 10, 64)
	return n, err == nil && n > 0
}

// Close closes the stream without QUIT.
func (sc *ClientConn) Close() error { return sc.conn.Close() }

// Quit sends QUIT, waits for the reply and closes the stream.
func (sc *ClientConn) Quit(ctx context.Context) error {
	defer sc.conn.Close()
	stop := sc.dl.bind(ctx)
	defer stop()
	if _, err := sc.cmd(221, sc.t.Command, "QUIT"); err != nil {
		return fmt.Errorf("quit: %w", err)
	}
	return nil
}

// hostname is the EHLO argument: the local key in hex.
func (sc *ClientConn) hostname() string {
	return strings.TrimSuffix(sc.local.String(), "@"+envelope.Domain)
}
